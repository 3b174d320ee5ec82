"""Gradient clipping and flattening parameters into one vector (``ember.nn.utils``)."""

from __future__ import annotations

from collections.abc import Iterable

from ... import ops
from ...autograd.grad_mode import no_grad
from ...backend import xp
from ...tensor import Tensor
from . import rnn

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]

Parameters = Tensor | Iterable[Tensor]


def _grads(parameters: Parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _norm(array: xp.ndarray, norm_type: float) -> xp.ndarray:
    if norm_type == float("inf"):
        return xp.abs(array).max(initial=0)
    return xp.linalg.norm(array.reshape(-1), ord=norm_type)


def clip_grad_norm_(
    parameters: Parameters,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the joint norm before clipping."""
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(0.0)
    dtype = grads[0].dtype
    norms = xp.array([_norm(g._data, norm_type) for g in grads], dtype=dtype)
    total = _norm(norms, norm_type).astype(dtype)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(coef)
    return Tensor(total, dtype=dtype)


def clip_grad_value_(
    parameters: Parameters, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place to [-clip_value, clip_value] (``foreach`` is accepted;
    there is one implementation)."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    return ops.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != needed:
        raise ValueError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)}, the parameters need a 1-D "
            f"vector of {needed} elements"
        )
    start = 0
    for p in params:
        n = p.numel()
        p._data = vec._data[start : start + n].reshape(p.shape).astype(p.dtype, copy=False)
        start += n
