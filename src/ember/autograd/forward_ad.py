"""Forward-mode differentiation: tensors carry a tangent, and every op's ``jvp`` rule pushes it on.

One forward pass computes the output and its directional derivative together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import function
from .grad_mode import state


class dual_level:  # noqa: N801 - PyTorch's spelling (torch.autograd.forward_ad.dual_level)
    """Context in which tangents attached with ``make_dual`` propagate through ops."""

    def __enter__(self) -> None:
        if state.forward_ad:
            raise NotImplementedError("nested forward-mode levels are not supported")
        state.forward_ad = True

    def __exit__(self, *exc: object) -> None:
        state.forward_ad = False


def make_dual(primal: Any, tangent: Any) -> Any:
    """A tensor with ``primal``'s value (and history) carrying ``tangent``."""
    if tuple(primal.shape) != tuple(tangent.shape):
        raise ValueError(
            f"make_dual: tangent shape {tuple(tangent.shape)} differs from primal shape "
            f"{tuple(primal.shape)}"
        )
    dual = function._Tensor._make(primal._data, primal.grad_fn, primal._requires_grad)
    dual._vc = primal._vc
    dual._tangent = tangent.to(primal.dtype)
    return dual


def unpack_dual(t: Any) -> tuple[Any, Any]:
    """``(primal, tangent)`` of a dual tensor (tangent None when it has none)."""
    return t, t._tangent


def jvp_call(f: Callable[..., Any], primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """Run ``f(*primals)`` once in forward mode; return ``(outputs, output tangents)``."""
    with dual_level():
        duals = [make_dual(p, t) for p, t in zip(primals, tangents)]
        out = f(*duals)
        if isinstance(out, (tuple, list)):
            return tuple(out), tuple(_tangent_of(o) for o in out)
        return out, _tangent_of(out)


def _tangent_of(out: Any) -> Any:
    t = out._tangent
    out._tangent = None
    if t is None:
        return function._Tensor._make(out._data * 0, None, False)
    return t
