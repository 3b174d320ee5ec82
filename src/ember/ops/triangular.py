"""The Cholesky factorisation and triangular solves, batched over leading dims.

Both rules are written with triangular solves, so derivatives of any order exist. The Cholesky
rule assumes a symmetric input (as PyTorch's does): its gradient is symmetric.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .shape import tril, triu

__all__ = ["cholesky"]  # solve_triangular is public as ember.linalg.solve_triangular


def _check_square(op: str, a: Any) -> None:
    shape = xp.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"{op}: A must be batches of square matrices, but got a tensor of shape {shape}"
        )


def _triangle(a: Any, upper: bool, unitriangular: bool) -> Any:
    """The triangle of ``a`` that the solve reads (unit diagonal if ``unitriangular``)."""
    t = xp.triu(a) if upper else xp.tril(a)
    if unitriangular:
        t = t.copy()
        n = a.shape[-1]
        t[..., range(n), range(n)] = 1
    return t


def _mask(t: Any, upper: bool, unitriangular: bool) -> Any:
    """A gradient or tangent restricted to the entries the solve reads."""
    k = 1 if unitriangular else 0
    return triu(t, k) if upper else tril(t, -k)


class SolveTriangular(Op):
    """X = A^-1 B for triangular A;  dB = A^-T g, dA = -(dB X^T) on A's triangle."""

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        out = xp.linalg.solve(_triangle(a, upper, unitriangular), b)
        ctx.save_for_backward(a, out)
        ctx.upper, ctx.unitriangular = upper, unitriangular
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        grad_b = SolveTriangular.apply(a.mT, grad_out, not ctx.upper, ctx.unitriangular)
        need_a = ctx.needs_input_grad[0]
        grad_a = _mask(-(grad_b @ out.mT), ctx.upper, ctx.unitriangular) if need_a else None
        return grad_a, grad_b, None, None

    @staticmethod
    def jvp(ctx, ta, tb, *constants):
        a, out = ctx.saved_tensors
        rhs = tb
        if ta is not None:
            change = _mask(ta, ctx.upper, ctx.unitriangular) @ out
            rhs = -change if rhs is None else rhs - change
        return SolveTriangular.apply(a, rhs, ctx.upper, ctx.unitriangular)


def _phi(x: Any) -> Any:
    """The lower triangle with the diagonal halved."""
    return tril(x) - 0.5 * triu(tril(x))


class Cholesky(Op):
    """L with A = L L^T (L^T if ``upper``);  dA = sym(L^-T phi(L^T dL) L^-1), phi taking the
    lower triangle with the diagonal halved."""

    @staticmethod
    def forward(ctx, a, upper):
        try:
            lower = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError(
                "linalg.cholesky: The factorization could not be completed because the input is "
                "not positive-definite."
            ) from None
        out = xp.swapaxes(lower, -1, -2) if upper else lower
        ctx.save_for_backward(out)
        ctx.upper = upper
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        lower, grad = (out.mT, grad_out.mT) if ctx.upper else (out, grad_out)
        p = _phi(lower.mT @ grad)
        # S = L^-T P L^-1: Z = P L^-1 from L^T Z^T = P^T, then S = L^-T Z
        z = SolveTriangular.apply(lower.mT, p.mT, True, False).mT
        s = SolveTriangular.apply(lower.mT, z, True, False)
        return 0.5 * (s + s.mT), None

    @staticmethod
    def jvp(ctx, ta, *constants):
        (out,) = ctx.saved_tensors
        lower = out.mT if ctx.upper else out
        y = SolveTriangular.apply(lower, ta, False, False)
        z = SolveTriangular.apply(lower, y.mT, False, False).mT
        tangent = lower @ _phi(z)
        return tangent.mT if ctx.upper else tangent


def cholesky(input: Any, upper: bool = False) -> Any:
    """The Cholesky factor of symmetric positive-definite matrices (lower unless ``upper``).

    Shape: (*, n, n) -> (*, n, n).
    """
    _check_square("linalg.cholesky", input)
    return Cholesky.apply(input, upper)


def solve_triangular(
    A: Any, B: Any, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Any:
    """X with A X = B (``left``) or X A = B, for triangular A (only its triangle is read).

    Shape: A (*, n, n), B (*, n, k) (left) or (*, k, n) -> X of B's shape (batch broadcast).
    """
    _check_square("linalg.solve_triangular", A)
    b_shape = tuple(xp.shape(B))
    n = xp.shape(A)[-1]
    if len(b_shape) < 2 or b_shape[-2 if left else -1] != n:
        raise ValueError(
            f"linalg.solve_triangular: incompatible shapes of A {tuple(xp.shape(A))} and B "
            f"{b_shape} (left={left})"
        )
    if left:
        return SolveTriangular.apply(A, B, upper, unitriangular)
    return SolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT
