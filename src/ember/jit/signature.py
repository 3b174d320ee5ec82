"""What a recording depends on besides the values in its tensors: the cache key of a call.

A call's arguments are flattened into their tensors and a hashable description of everything
else (containers, Python values). The key adds, per tensor, its shape, dtype and requires_grad
and which arguments share one array; the grad mode; and, for every module the function uses,
``training`` and the identity, shape and dtype of its parameters and buffers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..tensor import Tensor


class Leaf:
    """Where a tensor sits in a flattened structure."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<tensor>"


LEAF = Leaf()


class UnkeyableError(TypeError):
    """A value that has no place in a cache key or a recorded output."""


_CONSTANTS = (int, float, bool, str, bytes, complex, type(None), type(Ellipsis), slice)


def flatten(obj: Any, leaves: list, outputs: bool = False) -> Any:
    """A hashable description of ``obj`` with each tensor replaced by ``LEAF`` (and appended to
    ``leaves``). Outside arguments, only containers and plain Python values may appear."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return LEAF
    kind = type(obj)
    if kind is tuple or kind is list:
        return (kind, tuple([flatten(o, leaves, outputs) for o in obj]))
    if kind is dict:
        return (kind, tuple(obj), tuple([flatten(v, leaves, outputs) for v in obj.values()]))
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a named tuple
        return (kind, tuple([flatten(o, leaves, outputs) for o in obj]))
    if isinstance(obj, _CONSTANTS) or not outputs:
        try:
            hash(obj)
        except TypeError:
            raise UnkeyableError(f"an argument of type {kind.__name__} (not hashable)") from None
        if isinstance(obj, np.ndarray):
            raise UnkeyableError("a NumPy array argument")
        return (kind, obj)
    raise UnkeyableError(f"a value of type {kind.__name__} among the outputs")


def unflatten(spec: Any, leaves: Iterable) -> Any:
    """The structure ``spec`` describes, its tensors taken in order from ``leaves``."""
    return _build(spec, iter(leaves))


def _build(spec: Any, it: Any) -> Any:
    if spec is LEAF:
        return next(it)
    kind = spec[0]
    if kind is dict:
        return {k: _build(s, it) for k, s in zip(spec[1], spec[2])}
    if kind is tuple or kind is list:
        return kind([_build(s, it) for s in spec[1]])
    if (
        isinstance(kind, type)
        and issubclass(kind, tuple)
        and len(spec) == 2
        and (type(spec[1]) is tuple and hasattr(kind, "_fields"))
    ):
        return kind(*[_build(s, it) for s in spec[1]])
    return spec[1]


def tensor_key(tensors: list) -> tuple:
    """Shape, dtype and requires_grad of each tensor, and which ones share an array."""
    key = [(t._data.shape, t._data.dtype, t._requires_grad) for t in tensors]
    ids = [id(t._data) for t in tensors]
    if len(set(ids)) != len(ids):
        key.append(tuple(ids.index(i) for i in ids))
    return tuple(key)


def module_key(modules: list) -> tuple:
    """``training`` of each module, how many parameters and buffers it has, and the identity,
    shape, dtype and requires_grad of each (their arrays are read at replay: optimizers may
    rebind them). One flat tuple: it is built and hashed at every call."""
    key: list = []
    add = key.append
    for m in modules:
        params, buffers = m._parameters, m._buffers
        add((m.training, len(params), len(buffers)))
        for store in (params, buffers) if buffers else (params,):
            for p in store.values():
                if p is None:
                    add(None)
                else:
                    data = p._data
                    add((id(p), data.shape, data.dtype, p._requires_grad))
    return tuple(key)


def call_key(args: tuple, kwargs: dict, modules: list) -> tuple[tuple, list]:
    """The cache key of a call and its tensors in order."""
    tensors: list = []
    spec = flatten(args, tensors), flatten(kwargs, tensors) if kwargs else None
    return (spec, tensor_key(tensors), state.grad_enabled, module_key(modules)), tensors
