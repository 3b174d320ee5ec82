"""Linear algebra: matmul and its restricted forms, the fused ``linear``, ``einsum`` and ``norm``.

Every product here is linear in each operand, so each gradient is again a product (of ``grad_out``
with the other operands) and the tangent is the sum of the products with one tangent swapped in.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import write_out
from .elementwise import add, mul
from .reduce import Reduction, check_floating, check_nonempty, kept, reduce_dims
from .shape import autocast_operands, reshape

__all__ = ["addmm", "bmm", "dot", "einsum", "linear", "matmul", "mm", "norm", "outer"]


def _shape(a: Any) -> tuple[int, ...]:
    data = getattr(a, "_data", None)  # a tensor's array: its shape without building a Size
    return data.shape if data is not None else tuple(xp.shape(a))


def _check_dtypes(op: str, *operands: Any) -> None:
    """Products need one dtype (as in PyTorch); bool has no product."""
    dtypes = {xp.asarray(getattr(a, "_data", a)).dtype for a in operands}
    if len(dtypes) > 1:
        names = " and ".join(sorted(str(d) for d in dtypes))
        raise TypeError(f"{op}: operands must have the same dtype, got {names}")
    if dtypes and dtypes.pop().kind == "b":
        raise TypeError(f"{op}: bool tensors are not supported")


def _check_matmul(op: str, a: Any, b: Any) -> None:
    """Raise if ``a @ b`` is undefined: 0-d operands, inner sizes, or batch dims that differ."""
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise ValueError(f"{op}: both operands need at least 1 dim, got shapes {sa} and {sb}")
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k_b:
        raise ValueError(
            f"{op}: shapes {sa} and {sb} are not aligned: {sa[-1]} (dim {len(sa) - 1}) != "
            f"{k_b} (dim {max(len(sb) - 2, 0)})"
        )
    try:
        xp.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the batch dims of shapes {sa} and {sb} cannot be broadcast together"
        ) from None
    _check_dtypes(op, a, b)


def _expect_ndim(op: str, ndim: int, *operands: Any) -> None:
    shapes = [_shape(a) for a in operands]
    if any(len(s) != ndim for s in shapes):
        listed = " and ".join(str(s) for s in shapes)
        raise ValueError(f"{op}: expected {ndim}-D tensors, got shapes {listed}")


def _total(*terms: Any) -> Any:
    """The sum of the terms that are not None (a tangent built from the operands' tangents)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else out + t
    return out


class MatMul(Op):
    """a @ b;  da = g @ b^T, db = a^T @ g (a 1-D a as a row, a 1-D b as a column)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.matmul(a, b).astype(a.dtype, copy=False)  # ml_dtypes' bfloat16 gives float32

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_like(grad_out)
        need_a, need_b = ctx.needs_input_grad
        g = grad_out
        if b.ndim == 1:
            g = g.reshape((*g.shape, 1))
            b = b.reshape(-1, 1)
        if a.ndim == 1:
            g = g.reshape((*g.shape[:-1], 1, g.shape[-1]))
            a = a.reshape(1, -1)
        grad_a = _drop_vector_dim(g @ b.mT, -2, ctx.shapes[0]) if need_a else None
        grad_b = _drop_vector_dim(a.mT @ g, -1, ctx.shapes[1]) if need_b else None
        return grad_a, grad_b

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, ta, tb):
        a, b = ctx.saved_tensors
        return _total(None if ta is None else ta @ b, None if tb is None else a @ tb)


def _drop_vector_dim(grad: Any, dim: int, shape: tuple[int, ...]) -> Any:
    """Remove the size-1 dim a 1-D operand was given in backward (leading dims are left to the
    engine, which sums them)."""
    if len(shape) != 1:
        return grad
    return grad.reshape((*grad.shape[:-2], grad.shape[-1 if dim == -2 else -2]))


def _rows_times(a: Any, m: Any) -> Any:
    """a @ m for a matrix m (arrays or tensors), a's leading dims folded into the rows of one
    product: NumPy's matmul would run one small product per leading index."""
    if len(a.shape) <= 2:
        return a @ m
    rows = math.prod(a.shape[:-1])
    return (a.reshape(rows, a.shape[-1]) @ m).reshape(*a.shape[:-1], m.shape[-1])


class Linear(Op):
    """x @ w^T + b, one op;  dx = g @ w, dw = g^T @ x, db = g summed over leading dims."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = _rows_times(x, w.T).astype(x.dtype, copy=False)  # bfloat16 stays bfloat16
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_like(grad_out)
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = _rows_times(grad_out, w) if need_x else None
        rows = math.prod(grad_out.shape[:-1])
        g = grad_out.reshape(rows, w.shape[0]) if need_w or need_b else None
        grad_w = g.mT @ x.reshape(rows, w.shape[1]) if need_w else None
        grad_b = g.sum(0) if need_b else None
        return grad_x, grad_w, grad_b

    backward_arrays = backward  # one rule for both paths

    @staticmethod
    def jvp(ctx, tx, tw, tb):
        x, w = ctx.saved_tensors
        return _total(
            tb,
            None if tx is None else Linear.apply(tx, w, None),
            None if tw is None else Linear.apply(x, tw, None),
        )


class Einsum(Op):
    """einsum(spec, *operands);  d operand_k = einsum of g with the other operands."""

    @staticmethod
    def forward(ctx, spec, *operands):
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        inputs, output = spec
        equation = ",".join(inputs) + "->" + output
        try:
            out = xp.einsum(equation, *operands, optimize=len(operands) > 1)
        except ValueError as e:
            shapes = ", ".join(str(_shape(x)) for x in operands)
            raise ValueError(f"einsum: operands of shapes {shapes} do not fit: {e}") from None
        if any(xp.may_share_memory(out, x) for x in operands):
            out = out.copy()  # single-operand einsum can return a view; ember's is a new tensor
        return out

    @staticmethod
    def backward(ctx, grad_out):
        operands = ctx.saved_tensors
        grads = [None]
        for k, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(ctx.spec, k, grad_out, operands) if need else None)
        return tuple(grads)

    @staticmethod
    def jvp(ctx, _spec, *tangents):
        operands = ctx.saved_tensors
        return _total(
            *(
                Einsum.apply(ctx.spec, *operands[:k], t, *operands[k + 1 :])
                for k, t in enumerate(tangents)
                if t is not None
            )
        )


def _einsum_grad(spec: tuple, k: int, grad_out: Any, operands: tuple) -> Any:
    """The gradient wrt operand k: contract grad_out with the other operands onto k's subscripts.
    A subscript repeated in operand k (a diagonal) gets a fresh letter tied to it by an identity
    matrix; one that occurs nowhere else (summed in k alone) gets a ones vector."""
    inputs, output = spec
    terms = [output] + [s for j, s in enumerate(inputs) if j != k]
    args = [grad_out] + [x for j, x in enumerate(operands) if j != k]
    elsewhere = set("".join(terms))
    fresh = (c for c in string.ascii_letters if c not in set("".join(inputs) + output))
    target = ""
    for letter, size in zip(inputs[k], _shape(operands[k])):
        if letter in target:
            new = next(fresh)
            terms.append(letter + new)
            args.append(xp.eye(size, dtype=grad_out.dtype))
            target += new
            continue
        if letter not in elsewhere:
            terms.append(letter)
            args.append(xp.ones(size, dtype=grad_out.dtype))
        target += letter
    return Einsum.apply((tuple(terms), target), *args)


def _parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> tuple[tuple[str, ...], str]:
    """The equation with '...' spelled out as letters and the output made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} names {len(terms)} operands, "
            f"but {len(shapes)} were given"
        )
    for t in [*terms, rhs]:
        if not t.replace("...", "").isalpha() and t.replace("...", ""):
            raise ValueError(f"einsum: {t!r} in {equation!r} is not a list of letters")
    spare = [c for c in string.ascii_letters if c not in eq]
    named = [len(t.replace("...", "")) for t in terms]
    ellipsis = 0
    for i, (t, n, s) in enumerate(zip(terms, named, shapes)):
        if len(s) != n and ("..." not in t or len(s) < n):
            raise ValueError(
                f"einsum: operand {i} has shape {s}, but its subscripts {t!r} name {n} dims"
            )
        ellipsis = max(ellipsis, len(s) - n)
    letters = "".join(spare[:ellipsis])
    inputs = tuple(
        t.replace("...", letters[ellipsis - (len(s) - n) :])
        for t, n, s in zip(terms, named, shapes)
    )
    if arrow:
        output = rhs.replace("...", letters)
    else:
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        output = letters + "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(set(output)) != len(output) or not set(output) <= set("".join(inputs)):
        raise ValueError(
            f"einsum: output subscripts of {equation!r} must be distinct and occur in an input"
        )
    return inputs, output


class Norm(Reduction):
    """Vector p-norm over dim, (sum |a|^p)^(1/p) (max |a| for inf, count of nonzeros for 0);
    da = g sign(a) (|a| / norm)^(p-1) (g a / norm for p = 2, 0 where the norm is 0)."""

    @staticmethod
    def forward(ctx, a, p, dim, keepdim):
        check_floating(a, "norm")
        ctx.dims = dims = reduce_dims(dim, a.ndim, "norm")
        ctx.keepdim = keepdim
        ctx.p = p
        size = xp.abs(a)
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=dims, keepdims=keepdim))
        elif p == 1:
            out = size.sum(axis=dims, keepdims=keepdim)
        elif math.isinf(p):
            check_nonempty(a, dims, "norm")
            out = (xp.max if p > 0 else xp.min)(size, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
        else:
            with xp.errstate(divide="ignore"):
                out = (size**p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def partial(ctx):
        x, out = ctx.saved_tensors
        p = ctx.p
        sign = xp.sign(x._data)
        if p in (0, 1):
            return sign * p
        out = kept(ctx, out)
        if math.isinf(p):
            hit = xp.abs(x._data) == out._data
            return (sign * hit / hit.sum(ctx.dims, keepdims=True)).astype(x.dtype)
        safe = out + (out._data == 0).astype(x.dtype)
        if p == 2:
            return x / safe
        return ((x * sign) / safe) ** (p - 1) * sign


def matmul(input: Any, other: Any, *, out: Any = None) -> Any:
    """Matrix product with NumPy's rules: 1-D @ 1-D is a dot product, a 1-D operand acts as a
    row (left) or column (right), and leading batch dims broadcast. (n,k) @ (k,m) -> (n,m)."""
    input, other = autocast_operands(input, other)
    _check_matmul("matmul", input, other)
    return write_out("matmul", MatMul.apply(input, other), out)


def mm(input: Any, mat2: Any, *, out: Any = None) -> Any:
    """Product of two matrices: (n,k) @ (k,m) -> (n,m)."""
    input, mat2 = autocast_operands(input, mat2)
    _expect_ndim("mm", 2, input, mat2)
    _check_matmul("mm", input, mat2)
    return write_out("mm", MatMul.apply(input, mat2), out)


def bmm(input: Any, mat2: Any, *, out: Any = None) -> Any:
    """Batched matrix product without broadcasting: (B,n,k) @ (B,k,m) -> (B,n,m)."""
    input, mat2 = autocast_operands(input, mat2)
    _expect_ndim("bmm", 3, input, mat2)
    if _shape(input)[0] != _shape(mat2)[0]:
        raise ValueError(f"bmm: batch sizes differ: shapes {_shape(input)} and {_shape(mat2)}")
    _check_matmul("bmm", input, mat2)
    return write_out("bmm", MatMul.apply(input, mat2), out)


def dot(input: Any, tensor: Any, *, out: Any = None) -> Any:
    """Dot product of two vectors of the same length: (n,) . (n,) -> ()."""
    _expect_ndim("dot", 1, input, tensor)
    _check_matmul("dot", input, tensor)
    return write_out("dot", MatMul.apply(input, tensor), out)


def outer(input: Any, vec2: Any, *, out: Any = None) -> Any:
    """Outer product of two vectors: (n,) x (m,) -> (n,m)."""
    _expect_ndim("outer", 1, input, vec2)
    return write_out("outer", mul(reshape(input, (-1, 1)), vec2), out)


def linear(input: Any, weight: Any, bias: Any = None) -> Any:
    """input @ weight.T + bias in one op: (*, in) and (out, in) -> (*, out)."""
    input, weight, bias = autocast_operands(input, weight, bias)
    sx, sw = _shape(input), _shape(weight)
    if len(sw) == 1:
        out = matmul(input, weight)
        return out if bias is None else add(out, bias)
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ValueError(
            f"linear: input shape {sx} and weight shape {sw} are not aligned "
            "(expected input (*, in_features) and weight (out_features, in_features))"
        )
    if bias is not None:
        sb = _shape(bias)
        if len(sb) > 1 or (sb and sb[0] not in (1, sw[0])):
            raise ValueError(f"linear: bias shape {sb} does not fit weight shape {sw}")
        _check_dtypes("linear", input, weight, bias)
    else:
        _check_dtypes("linear", input, weight)
    return Linear.apply(input, weight, bias)


def addmm(
    input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1, out: Any = None
) -> Any:
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to (n,m). beta 0 ignores input."""
    input, mat1, mat2 = autocast_operands(input, mat1, mat2)
    product = mm(mat1, mat2)
    if alpha != 1:
        product = mul(product, alpha)
    if beta != 0:
        product = add(product, input if beta == 1 else mul(input, beta))
    return write_out("addmm", product, out)


def einsum(equation: str, *operands: Any) -> Any:
    """Sum of products over the subscripts an equation names, e.g. 'ij,jk->ik' (matmul),
    'bij,bjk->bik', 'i,i->', 'ij->ji', 'ii->i'; '...' stands for leading dims, and without '->'
    the output holds the subscripts used once, in alphabetical order."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    _check_dtypes("einsum", *operands)
    spec = _parse_einsum(equation, [_shape(x) for x in operands])
    return Einsum.apply(spec, *operands)


def norm(
    input: Any,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    out: Any = None,
    dtype: Any = None,
) -> Any:
    """Vector p-norm over ``dim`` (all dims by default): p = 2 ('fro'), 1, inf, -inf, 0 or any
    other number."""
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use 'fro' or a number")
        p = 2
    if dtype is not None:
        input = input.to(dtype)
    return write_out("norm", Norm.apply(input, float(p), dim, keepdim), out)
