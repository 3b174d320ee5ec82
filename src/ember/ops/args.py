"""PyTorch's argument conventions that the public functions share: the NumPy-style ``axis=`` and
``keepdims=`` aliases, ``out=`` (write the result into a given tensor), and raw results that carry
no gradient (indices, counts, samples) returned as tensors."""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..backend import xp


def dim_alias(op: str, dim: Any, axis: Any, default: Any = None) -> Any:
    """``dim``, or ``axis`` where only the alias is given (PyTorch accepts both names)."""
    if axis is None:
        return dim
    if dim is not None and dim is not default and dim != default:
        raise TypeError(f"{op}: got values for both dim and its alias axis")
    return axis


def keepdim_alias(keepdim: bool, keepdims: bool | None) -> bool:
    """``keepdim``, or ``keepdims`` where the alias is given."""
    return keepdim if keepdims is None else keepdims


class Constant(Op):
    """An array as a tensor outside the graph (results without a gradient: indices, counts)."""

    @staticmethod
    def forward(ctx, a):
        return a


def constant(a: Any) -> Any:
    """The raw array ``a`` as a tensor without history."""
    return Constant.apply(xp.asarray(a))


def write_out(op: str, result: Any, out: Any) -> Any:
    """``result`` itself, or, given ``out=``, ``result`` written into ``out`` (resized when its
    shape differs, with PyTorch's warning if it held elements) and ``out`` returned."""
    if out is None:
        return result
    if state.tracer is not None:
        state.tracer.escape(f"{op}(out=...)")
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{op}: out= must be a tuple of {len(result)} tensors")
        return type(result)(*(write_out(op, r, o) for r, o in zip(result, out)))
    if state.grad_enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    data = result._data
    if not xp.can_cast(data.dtype, out.dtype, casting="same_kind"):
        raise RuntimeError(
            f"{op}: result type {data.dtype} can't be cast to the desired output type {out.dtype}"
        )
    if out.shape != data.shape:
        if out.numel():
            warnings.warn(
                f"{op}: an output with one or more elements was resized since it had shape "
                f"{tuple(out.shape)}, which does not match the required output shape "
                f"{tuple(data.shape)}.",
                UserWarning,
                stacklevel=3,
            )
        out._data = xp.empty(data.shape, out.dtype)
    xp.copyto(out._data, data, casting="unsafe")
    out._vc[0] += 1
    return out
