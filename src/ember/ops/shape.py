"""Shape operations. Those NumPy can do without copying return views that share the input's
version counter, so an in-place write through either is seen by both."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Op
from ..backend import xp

__all__ = ["broadcast_to", "cast", "clone", "expand", "permute", "reshape", "transpose", "view"]


def as_view(out: Any, base: Any) -> Any:
    """Mark ``out`` as a view of tensor ``base`` when their arrays share memory."""
    if type(base) is type(out) and xp.may_share_memory(out._data, base._data):
        out._vc = base._vc
        out._base = base if base._base is None else base._base
    return out


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and not isinstance(shape[0], int):
        return tuple(shape[0])
    return tuple(shape)


class Reshape(Op):
    """reshape(a, shape);  da = g reshaped back."""

    @staticmethod
    def forward(ctx, a, shape):
        try:
            out = a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                f"({a.size} elements)"
            ) from None
        ctx.shape = out.shape
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _shape):
        return ta.reshape(ctx.shape)


class Expand(Op):
    """broadcast_to(a, shape);  da = g summed back to a's shape."""

    @staticmethod
    def forward(ctx, a, shape):
        shape = tuple(
            a.shape[i - len(shape) + a.ndim] if s == -1 else s for i, s in enumerate(shape)
        )
        ctx.shape = shape
        try:
            return xp.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"expand: shape {a.shape} cannot be broadcast to {shape}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.sum_to_size(ctx.shapes[0]), None

    @staticmethod
    def jvp(ctx, ta, _shape):
        return ta.expand(ctx.shape)


class Permute(Op):
    """permute(a, dims);  da = g permuted by the inverse permutation."""

    @staticmethod
    def forward(ctx, a, dims):
        if sorted(d % max(a.ndim, 1) for d in dims) != list(range(a.ndim)):
            raise ValueError(f"permute: dims {tuple(dims)} are not a permutation of {a.ndim} dims")
        ctx.dims = tuple(d % max(a.ndim, 1) for d in dims)
        return a.transpose(ctx.dims)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.permute(tuple(xp.argsort(ctx.dims).tolist())), None

    @staticmethod
    def jvp(ctx, ta, _dims):
        return ta.permute(ctx.dims)


class Cast(Op):
    """a converted to ``dtype``;  da = g converted back (by the engine)."""

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None

    @staticmethod
    def jvp(ctx, ta, _dtype):
        return ta


class Clone(Op):
    """A copy of a;  da = g."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out

    @staticmethod
    def jvp(ctx, ta):
        return ta


def reshape(a: Any, *shape: Any) -> Any:
    """The same elements in a new shape (one dim may be -1); a view when possible."""
    return as_view(Reshape.apply(a, _shape_arg(shape)), a)


view = reshape


def expand(a: Any, *shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` without copying (-1 keeps a dim)."""
    return as_view(Expand.apply(a, _shape_arg(shape)), a)


def broadcast_to(a: Any, shape: Any) -> Any:
    """Broadcast ``a`` to ``shape`` without copying."""
    return expand(a, tuple(shape))


def permute(a: Any, *dims: Any) -> Any:
    """Reorder the dims of ``a``; a view."""
    return as_view(Permute.apply(a, _shape_arg(dims)), a)


def transpose(a: Any, dim0: int, dim1: int) -> Any:
    """Swap two dims; a view."""
    order = list(range(a.ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return permute(a, tuple(order))


def cast(a: Any, dtype: Any) -> Any:
    """``a`` converted to ``dtype`` (differentiable between floating dtypes)."""
    return Cast.apply(a, dtype)


def clone(a: Any) -> Any:
    """A copy of ``a`` that stays in the graph."""
    return Clone.apply(a)
