"""Inverses and determinants of (batches of) square matrices: inv, solve, det, slogdet, logdet.
Their rules use the same ops, so derivatives of any order follow."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..autograd.function import Op
from ..backend import xp
from .args import constant, write_out
from .linalg import matmul

__all__ = ["det", "inverse", "logdet", "slogdet"]

slogdet_result = namedtuple("slogdet", ("sign", "logabsdet"))


def _check_square(op: str, a: Any) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are "
            f"{' by '.join(str(n) for n in a.shape[-2:]) or 'a 0-d tensor'} matrices"
        )
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {a.dtype}")


def _singular(op: str) -> RuntimeError:
    return RuntimeError(
        f"{op}: The diagonal element of the factorization is zero, the inversion could not be "
        "completed because the input matrix is singular."
    )


class Inv(Op):
    """out = a^-1;  da = -out^T g out^T."""

    @staticmethod
    def forward(ctx, a):
        try:
            out = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise _singular("linalg.inv") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return -matmul(matmul(out.mT, grad_out), out.mT)

    @staticmethod
    def jvp(ctx, ta):
        (out,) = ctx.saved_tensors
        return -matmul(matmul(out, ta), out)


class Solve(Op):
    """x = a^-1 b (b a matrix or a batch of them);  db = a^-T g, da = -db x^T."""

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise _singular("linalg.solve") from None
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_b = Solve.apply(a.mT, grad_out)
        grad_a = -matmul(grad_b, out.mT) if need_a else None
        return grad_a, (grad_b if need_b else None)

    @staticmethod
    def jvp(ctx, ta, tb):
        a, out = ctx.saved_tensors
        rhs = tb if ta is None else (-matmul(ta, out) if tb is None else tb - matmul(ta, out))
        return Solve.apply(a, rhs)


class Det(Op):
    """det(a);  da = g det(a) a^-T."""

    @staticmethod
    def forward(ctx, a):
        out = xp.linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        return (grad_out * out).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT

    @staticmethod
    def jvp(ctx, ta):
        a, out = ctx.saved_tensors
        return out * (Inv.apply(a) * ta.mT).sum((-2, -1))


class LogAbsDet(Op):
    """log |det(a)|;  da = g a^-T."""

    @staticmethod
    def forward(ctx, a):
        _, out = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (a,) = ctx.saved_tensors
        return grad_out.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT

    @staticmethod
    def jvp(ctx, ta):
        (a,) = ctx.saved_tensors
        return (Inv.apply(a) * ta.mT).sum((-2, -1))


def linalg_inv(A: Any, *, out: Any = None) -> Any:
    """The inverse of each square matrix in ``A`` (RuntimeError when singular)."""
    _check_square("linalg.inv", A)
    return write_out("linalg.inv", Inv.apply(A), out)


def inverse(input: Any, *, out: Any = None) -> Any:
    """The inverse of each square matrix in ``input`` (``linalg.inv``)."""
    return linalg_inv(input, out=out)


def linalg_solve(A: Any, B: Any, *, left: bool = True, out: Any = None) -> Any:
    """X with A X = B (``left=False``: X A = B); B a matrix, a batch, or a vector."""
    _check_square("linalg.solve", A)
    if not left:
        return write_out("linalg.solve", linalg_solve(A.mT, B.mT).mT, out)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {rhs.shape[-2]}x{rhs.shape[-1]})"
        )
    batch = xp.broadcast_shapes(tuple(A.shape[:-2]), tuple(rhs.shape[:-2]))
    a = A.expand((*batch, *A.shape[-2:])) if tuple(A.shape[:-2]) != batch else A
    b = rhs.expand((*batch, *rhs.shape[-2:])) if tuple(rhs.shape[:-2]) != batch else rhs
    x = Solve.apply(a, b)
    return write_out("linalg.solve", x.squeeze(-1) if vector else x, out)


def det(input: Any) -> Any:
    """The determinant of each square matrix in ``input``."""
    _check_square("linalg.det", input)
    return Det.apply(input)


def slogdet(input: Any) -> Any:
    """``(sign, logabsdet)`` of each square matrix: det = sign * exp(logabsdet)."""
    _check_square("linalg.slogdet", input)
    sign, _ = xp.linalg.slogdet(input._data)
    return slogdet_result(constant(sign.astype(input.dtype)), LogAbsDet.apply(input))


def logdet(input: Any) -> Any:
    """log det(input): NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = slogdet(input)
    with xp.errstate(divide="ignore", invalid="ignore"):
        return logabs + constant(xp.log(sign._data))
