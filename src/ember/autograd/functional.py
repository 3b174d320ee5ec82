"""Function transforms with ``torch.func``'s signatures: grad, value_and_grad, vjp, jvp, jacrev,
jacfwd, jacobian, hessian, hvp.

They run on the same tape as ``backward``. A transform used inside another one keeps its result in
the graph (so ``grad(grad(f))`` and ``jvp(grad(f))`` work); the outermost returns plain tensors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import function
from .engine import grad as autograd_grad
from .forward_ad import jvp_call
from .grad_mode import enable_grad, no_grad, state

_depth = 0  # how many transforms are running; results are detached only at depth 0


def _transform(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Count nesting, so that the outermost transform hands back tensors outside any graph."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _depth
        _depth += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            _depth -= 1
        return result if _depth or state.forward_ad else _detach_all(result)

    return wrapper


def _detach_all(x: Any) -> Any:
    if isinstance(x, function._Tensor):
        return x.detach()
    if isinstance(x, (tuple, list)):
        return type(x)(_detach_all(v) for v in x)
    return x


def _as_input(x: Any) -> Any:
    """``x`` itself when it already takes part in a graph, else a fresh leaf (tangent kept)."""
    if not isinstance(x, function._Tensor):
        raise TypeError(f"expected a Tensor argument, got {type(x).__name__}")
    if x.requires_grad:
        return x
    leaf = x.detach().requires_grad_(True)
    leaf._tangent = x._tangent
    return leaf


def _argnums(argnums: int | Sequence[int]) -> tuple[tuple[int, ...], bool]:
    if isinstance(argnums, int):
        return (argnums,), True
    return tuple(argnums), False


def _split_aux(out: Any, has_aux: bool) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError("has_aux=True: the function must return a pair (output, aux)")
    return out


def value_and_grad(
    func: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """A function returning ``(func(*args), gradient wrt args[argnums])``; func must return a
    scalar tensor. With ``has_aux`` it returns ``((output, aux), gradient)``."""

    @_transform
    def run(*args: Any) -> Any:
        nums, single = _argnums(argnums)
        args = list(args)
        for i in nums:
            args[i] = _as_input(args[i])
        with enable_grad():
            out, aux = _split_aux(func(*args), has_aux)
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad: the function must return a scalar, got shape {tuple(out.shape)}"
                )
            nested = _depth > 1 or state.forward_ad
            inputs = [args[i] for i in nums]
            grads = autograd_grad(out, inputs, create_graph=nested, allow_unused=True)
        grads = tuple(g if g is not None else args[i] * 0 for g, i in zip(grads, nums))
        g = grads[0] if single else grads
        return ((out, aux), g) if has_aux else (out, g)

    return run


def grad(
    func: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of scalar-valued ``func`` with respect to ``args[argnums]``, as a function.

    >>> ember.func.grad(lambda x: (x ** 2).sum())(ember.tensor([1.0, 2.0]))
    tensor([2., 4.])
    """
    vg = value_and_grad(func, argnums, has_aux)

    def run(*args: Any) -> Any:
        (out_aux, g) = vg(*args)
        return (g, out_aux[1]) if has_aux else g

    return run


@_transform
def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` gives one gradient per primal."""
    xs = [_as_input(p) for p in primals]
    with enable_grad():
        out, aux = _split_aux(func(*xs), has_aux)

    def vjp_fn(cotangent: Any) -> tuple:
        nested = _depth > 0 or state.forward_ad
        gs = autograd_grad(
            out, xs, cotangent, retain_graph=True, create_graph=nested, allow_unused=True
        )
        result = tuple(g if g is not None else x * 0 for g, x in zip(gs, xs))
        return result if nested else _detach_all(result)

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


@_transform
def jvp(
    func: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
) -> Any:
    """``(func(*primals), J @ tangents)`` in one forward-mode pass."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    aux_box: list[Any] = []

    def call(*duals: Any) -> Any:
        out, aux = _split_aux(func(*duals), has_aux)
        aux_box.append(aux)
        return out

    out, tangent_out = jvp_call(call, primals, tangents)
    return (out, tangent_out, aux_box[0]) if has_aux else (out, tangent_out)


def _basis(x: Any) -> list[Any]:
    T = function._Tensor
    eye = np.eye(x.numel(), dtype=x.dtype)
    return [T._make(row.reshape(x.shape), None, False) for row in eye]


def _stack_columns(cols: list[Any], out_shape: tuple, in_shape: tuple) -> Any:
    """Columns J[:, k] (each shaped like the output) into J of shape out_shape + in_shape."""
    T = function._Tensor
    data = np.stack([c._data.reshape(-1) for c in cols], axis=1) if cols else None
    n_out = int(np.prod(out_shape))
    if data is None:
        data = np.zeros((n_out, 0))
    return T._make(data.reshape(out_shape + in_shape), None, False)


def jacrev(func: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of ``func`` wrt ``args[argnums]`` by reverse mode (one vjp per output entry)."""

    def run(*args: Any) -> Any:
        def f(x: Any) -> Any:
            return func(*args[:argnums], x, *args[argnums + 1 :])

        out, vjp_fn = vjp(f, args[argnums])
        x = args[argnums]
        rows = [vjp_fn(e)[0] for e in _basis(out)]
        T = function._Tensor
        data = np.stack([r._data.reshape(-1) for r in rows]) if rows else np.zeros((0, x.numel()))
        return T._make(data.reshape(tuple(out.shape) + tuple(x.shape)), None, False)

    return run


def jacfwd(func: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of ``func`` wrt ``args[argnums]`` by forward mode (one jvp per input entry)."""

    def run(*args: Any) -> Any:
        x = args[argnums]

        def f(x: Any) -> Any:
            return func(*args[:argnums], x, *args[argnums + 1 :])

        results = [jvp(f, (x,), (e,)) for e in _basis(x)]
        out = f(x) if not results else results[0][0]
        return _stack_columns([t for _, t in results], tuple(out.shape), tuple(x.shape))

    return run


def jacobian(func: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian, by reverse mode when the output has fewer entries than the input, else by
    forward mode."""

    def run(*args: Any) -> Any:
        with no_grad():
            n_out = func(*args).numel()
        mode = jacrev if n_out <= args[argnums].numel() else jacfwd
        return mode(func, argnums)(*args)

    return run


def hessian(func: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Hessian of scalar ``func`` wrt ``args[argnums]`` (forward over reverse)."""
    return jacfwd(grad(func, argnums), argnums)


@_transform
def hvp(func: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """``(func(*primals), H @ tangents)``: a Hessian-vector product in one forward-over-reverse
    pass, without forming H."""
    values: list[Any] = []

    def gradient(*xs: Any) -> Any:
        value, g = value_and_grad(func, argnums=tuple(range(len(xs))))(*xs)
        values.append(value)
        return g

    _, hv = jvp(gradient, primals, tangents)
    return values[0], (hv[0] if len(hv) == 1 else hv)
