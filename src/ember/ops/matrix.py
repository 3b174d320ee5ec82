"""Matrix helpers composed of indexing, products and norms: diagonal, diag, diag_embed, trace,
kron, cross, baddbmm, addbmm, addmv, addr, cdist, dist, vector_norm, matrix_norm."""

from __future__ import annotations

from typing import Any

from ..backend import xp
from .args import constant, write_out
from .elementwise import add, mul
from .extrema import amax, amin
from .index import IndexPut, getitem
from .linalg import bmm, matmul, norm, outer
from .reduce import sum
from .shape import broadcast_to, movedim, reshape, roll, wrap_dim

__all__ = [
    "addbmm",
    "addmv",
    "addr",
    "baddbmm",
    "cdist",
    "cross",
    "diag",
    "diag_embed",
    "diagonal",
    "dist",
    "kron",
    "matrix_norm",
    "trace",
    "vector_norm",
]


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[Any, Any]:
    """Row and column indices of diagonal ``offset`` of a rows x cols matrix."""
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_r, cols - start_c), 0)
    i = xp.arange(n)
    return i + start_r, i + start_c


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """The diagonal ``offset`` of the matrices in dims ``dim1``, ``dim2``, as the last dim (a
    copy, where PyTorch returns a view)."""
    d1, d2 = wrap_dim(dim1, input.ndim, "diagonal"), wrap_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = movedim(input, (d1, d2), (-2, -1))
    rows, cols = _diagonal_positions(moved.shape[-2], moved.shape[-1], offset)
    return getitem(moved, (Ellipsis, rows, cols))


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices with the last dim of ``input`` on diagonal ``offset`` in dims ``dim1``,
    ``dim2`` (of the result), zeros elsewhere."""
    n = input.shape[-1] + abs(offset)
    rows, cols = _diagonal_positions(n, n, offset)
    zeros = constant(xp.zeros((*input.shape[:-1], n, n), input.dtype))
    out = IndexPut.apply(zeros, (Ellipsis, rows, cols), input, False)
    d1, d2 = wrap_dim(dim1, out.ndim, "diag_embed"), wrap_dim(dim2, out.ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return movedim(out, (-2, -1), (d1, d2))


def diag(input: Any, diagonal: int = 0, *, out: Any = None) -> Any:
    """A 1-D tensor as the diagonal ``diagonal`` of a square matrix, or the diagonal of a
    matrix as a 1-D tensor."""
    if input.ndim == 1:
        return write_out("diag", diag_embed(input, diagonal), out)
    if input.ndim == 2:
        return write_out("diag", _diagonal(input, diagonal), out)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Any) -> Any:
    """The sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return sum(diagonal(input))


def kron(input: Any, other: Any, *, out: Any = None) -> Any:
    """The Kronecker product: blocks ``input[i, j] * other``."""
    nd = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (nd - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (nd - other.ndim) + tuple(other.shape))
    spread_a = reshape(a, tuple(s for n in a.shape for s in (n, 1)))
    spread_b = reshape(b, tuple(s for n in b.shape for s in (1, n)))
    product = mul(spread_a, spread_b)
    return write_out("kron", reshape(product, tuple(m * n for m, n in zip(a.shape, b.shape))), out)


def cross(input: Any, other: Any, dim: int | None = None, *, out: Any = None) -> Any:
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None);
    input and other broadcast."""
    shape = xp.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if dim is None:
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in input of shape {shape}")
        dim = sizes[0]
    d = wrap_dim(dim, len(shape), "cross")
    if shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3, got {shape[d]}"
        )
    a, b = broadcast_to(input, shape), broadcast_to(other, shape)
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, indices mod 3.
    res = roll(a, -1, d) * roll(b, -2, d) - roll(a, -2, d) * roll(b, -1, d)
    return write_out("cross", res, out)


def _scaled_sum(input: Any, product: Any, beta: float, alpha: float) -> Any:
    """beta * input + alpha * product; beta 0 ignores input (NaN in it does not propagate)."""
    if alpha != 1:
        product = mul(product, alpha)
    if beta == 0:
        return product
    return add(product, input if beta == 1 else mul(input, beta))


def baddbmm(
    input: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1, out: Any = None
) -> Any:
    """beta * input + alpha * (batch1 @ batch2), batched: (B,n,k), (B,k,m) -> (B,n,m)."""
    return write_out("baddbmm", _scaled_sum(input, bmm(batch1, batch2), beta, alpha), out)


def addbmm(
    input: Any, batch1: Any, batch2: Any, *, beta: float = 1, alpha: float = 1, out: Any = None
) -> Any:
    """beta * input + alpha * sum over the batch of batch1[b] @ batch2[b]."""
    product = sum(bmm(batch1, batch2), 0)
    return write_out("addbmm", _scaled_sum(input, product, beta, alpha), out)


def addmv(
    input: Any, mat: Any, vec: Any, *, beta: float = 1, alpha: float = 1, out: Any = None
) -> Any:
    """beta * input + alpha * (mat @ vec): (n,m), (m,) -> (n,)."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"addmv: expected a matrix and a vector, got shapes {tuple(mat.shape)} and "
            f"{tuple(vec.shape)}"
        )
    return write_out("addmv", _scaled_sum(input, matmul(mat, vec), beta, alpha), out)


def addr(
    input: Any, vec1: Any, vec2: Any, *, beta: float = 1, alpha: float = 1, out: Any = None
) -> Any:
    """beta * input + alpha * outer(vec1, vec2)."""
    return write_out("addr", _scaled_sum(input, outer(vec1, vec2), beta, alpha), out)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str | None = None) -> Any:
    """The p-norm distance between each row of x1 (*, P, M) and each row of x2 (*, R, M):
    (*, P, R). The gradient at zero distance is zero."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: X1 and X2 must have the same number of columns, got shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return norm(difference, p, -1)


def dist(input: Any, other: Any, p: float = 2) -> Any:
    """The p-norm of input - other (0-d)."""
    return norm(input - other, p)


def vector_norm(
    x: Any,
    ord: float = 2,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    out: Any = None,
) -> Any:
    """The vector ``ord``-norm over ``dim`` (all elements by default): any number, inf, -inf,
    or 0 (the count of nonzeros)."""
    return write_out("vector_norm", norm(x, ord, dim, keepdim, dtype=dtype), out)


def matrix_norm(
    A: Any,
    ord: Any = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
    out: Any = None,
) -> Any:
    """The matrix norm of the matrices in ``dim``: 'fro', or the induced 1/-1 (max/min column
    sum) and inf/-inf (max/min row sum) norms. 'nuc' and 2/-2 need singular values, which ember
    does not compute yet (NotImplementedError)."""
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (wrap_dim(d, A.ndim, "matrix_norm") for d in dim)
    if ord == "fro":
        return write_out("matrix_norm", norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"matrix_norm: ord={ord!r} needs an SVD, not available in ember")
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    summed, other = (d0, d1) if abs(ord) == 1 else (d1, d0)
    sums = sum(A.abs(), summed, keepdim=True)
    pick = amax if ord > 0 else amin
    res = pick(sums, other, keepdim=True)
    if not keepdim:
        res = res.squeeze((d0, d1))
    return write_out("matrix_norm", res, out)


def linalg_norm(
    A: Any,
    ord: Any = None,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
    out: Any = None,
) -> Any:
    """``torch.linalg.norm``: a vector norm over one dim (or of a 1-D input, or of all
    elements when ord and dim are None), a matrix norm over two dims (or of a 2-D input)."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                "linalg.norm: input must be 1-D or 2-D when ord is given and dim is None, got "
                f"{A.ndim}-D"
            )
        dim = tuple(range(A.ndim))
    if dim is not None and len(dim) == 2:
        res = matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    else:
        res = vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    return write_out("linalg.norm", res, out)


def linalg_diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """``torch.linalg.diagonal``: ``diagonal`` over the last two dims by default."""
    return diagonal(A, offset, dim1, dim2)


def linalg_cross(input: Any, other: Any, *, dim: int = -1, out: Any = None) -> Any:
    """``torch.linalg.cross``: ``cross`` along the last dim by default."""
    return cross(input, other, dim, out=out)


_diagonal = diagonal
