"""Finite-difference checks of the reverse-mode (vjp) and forward-mode (jvp) rules, in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..dtypes import is_floating
from . import function
from .engine import grad
from .forward_ad import jvp_call
from .grad_mode import enable_grad


class GradcheckError(AssertionError):
    """An analytic derivative disagrees with central finite differences."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _flat_outputs(fn: Callable, inputs: Sequence[Any]) -> list[Any]:
    return [o for o in _as_tuple(fn(*inputs)) if is_floating(o.dtype)]


def numerical_jacobian(fn: Callable, inputs: Sequence[Any], eps: float) -> list[np.ndarray]:
    """Per (differentiable input, output) pair, J[out_index, in_index] by central differences."""
    T = function._Tensor
    jac = []
    for x in inputs:
        if not (isinstance(x, T) and x.requires_grad):
            continue
        if not x._data.flags.c_contiguous:
            x._data = np.ascontiguousarray(x._data)
        flat = x._data.reshape(-1)
        cols = []
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            plus = [o._data.copy() for o in _flat_outputs(fn, inputs)]
            flat[k] = old - eps
            minus = [o._data.copy() for o in _flat_outputs(fn, inputs)]
            flat[k] = old
            cols.append(
                np.concatenate([((p - m) / (2 * eps)).reshape(-1) for p, m in zip(plus, minus)])
            )
        n_out = sum(o.numel() for o in _flat_outputs(fn, inputs))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((n_out, 0)))
    return jac


def _reverse_jacobian(fn: Callable, inputs: Sequence[Any]) -> list[np.ndarray]:
    T = function._Tensor
    diff = [x for x in inputs if isinstance(x, T) and x.requires_grad]
    with enable_grad():
        outs = _flat_outputs(fn, inputs)
    n_out = sum(o.numel() for o in outs)
    rows: list[list[np.ndarray]] = [[] for _ in diff]
    for o in outs:
        for k in range(o.numel()):
            seed = np.zeros(o.shape, o.dtype)
            seed.reshape(-1)[k] = 1
            if not o.requires_grad:
                gs = [None] * len(diff)
            else:
                gs = grad(o, diff, T._make(seed, None, False), retain_graph=True, allow_unused=True)
            for i, (x, g) in enumerate(zip(diff, gs)):
                rows[i].append(np.zeros(x.numel()) if g is None else g._data.reshape(-1))
    return [np.stack(r) if r else np.zeros((n_out, x.numel())) for r, x in zip(rows, diff)]


def _forward_jacobian(fn: Callable, inputs: Sequence[Any]) -> list[np.ndarray]:
    T = function._Tensor
    jac = []
    for i, x in enumerate(inputs):
        if not (isinstance(x, T) and x.requires_grad):
            continue
        cols = []
        for k in range(x.numel()):
            tangents = []
            for j, y in enumerate(inputs):
                if isinstance(y, T):
                    t = np.zeros(y.shape, y.dtype if is_floating(y.dtype) else np.float64)
                    if j == i:
                        t.reshape(-1)[k] = 1
                    tangents.append(T._make(t, None, False))
            primals = [y for y in inputs if isinstance(y, T)]

            def call(*duals: Any) -> Any:
                it = iter(duals)
                return fn(*[next(it) if isinstance(y, T) else y for y in inputs])

            _, touts = jvp_call(call, tuple(primals), tuple(tangents))
            touts = [
                t for t, o in zip(_as_tuple(touts), _as_tuple(fn(*inputs))) if is_floating(o.dtype)
            ]
            cols.append(np.concatenate([t._data.reshape(-1) for t in touts]))
        n_out = sum(o.numel() for o in _flat_outputs(fn, inputs))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((n_out, 0)))
    return jac


def _compare(kind: str, numeric: list, analytic: list, atol: float, rtol: float) -> None:
    for i, (n, a) in enumerate(zip(numeric, analytic)):
        if n.shape != a.shape:
            raise GradcheckError(
                f"{kind}: Jacobian for input {i} has shape {a.shape}, expected {n.shape}"
            )
        bad = np.abs(n - a) > atol + rtol * np.abs(n)
        if bad.any():
            err = np.abs(n - a) - rtol * np.abs(n)
            out_idx, in_idx = np.unravel_index(np.argmax(err), err.shape)
            numeric, analytic = float(n[out_idx, in_idx]), float(a[out_idx, in_idx])
            raise GradcheckError(
                f"{kind} mismatch for input {i}: worst entry output[{out_idx}] / input[{in_idx}]: "
                f"numerical {numeric!r}, analytical {analytic!r} "
                f"({int(bad.sum())} of {bad.size} entries off)"
            )


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    check_forward_ad: bool = False,
) -> bool:
    """Compare reverse-mode (and, with ``check_forward_ad``, forward-mode) derivatives of ``fn``
    at ``inputs`` with central finite differences. Inputs that require grad must be float64.
    Raises ``GradcheckError`` naming the worst entry on failure (or returns False with
    ``raise_exception=False``)."""
    inputs = _as_tuple(inputs)
    T = function._Tensor
    for i, x in enumerate(inputs):
        if isinstance(x, T) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {x.dtype}; use float64 inputs")
    try:
        numeric = numerical_jacobian(fn, inputs, eps)
        _compare("gradient", numeric, _reverse_jacobian(fn, inputs), atol, rtol)
        if check_forward_ad:
            _compare("forward-mode (jvp)", numeric, _forward_jacobian(fn, inputs), atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """gradcheck of the first derivative, as PyTorch defines it: the vector-Jacobian product
    ``(inputs, grad_outputs) -> grads`` is checked in both, so the rules that only run inside
    other rules' backward (the adjoint ops) have their own derivatives checked. Without
    ``grad_outputs``, random float64 ones that require grad are made; given ones take part
    where they require grad and stay fixed otherwise."""
    inputs = _as_tuple(inputs)
    T = function._Tensor
    with enable_grad():
        outs = _flat_outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [T._make(rng.standard_normal(o.shape), None, True) for o in outs]
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    assert any(isinstance(x, T) and x.requires_grad for x in inputs), (
        "gradgradcheck needs at least one input that requires grad"
    )

    def first_derivative(*args: Any) -> tuple:
        xs = [a for a in args[:n] if isinstance(a, T) and a.requires_grad]
        gs = grad(
            _flat_outputs(fn, args[:n]), xs, list(args[n:]), create_graph=True, allow_unused=True
        )
        return tuple(g if g is not None else x * 0 for g, x in zip(gs, xs))

    return gradcheck(
        first_derivative,
        (*inputs, *grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        check_forward_ad=False,
        raise_exception=raise_exception,
    )
