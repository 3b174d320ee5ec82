"""Buffers for a replay's large intermediates, so that each call writes into the memory of the
last instead of asking malloc for fresh pages (which it returns to the system and faults in
again at every call). Used by the plans of ``ember.compile(..., mode="reduce-overhead")`` (or
"max-autotune"): like PyTorch's CUDA graphs in those modes, they keep a call's memory for the
next, so they hold more memory between calls; the default mode keeps none.

A buffer is free when nothing but its pool refers to it: a register, a saved value, a view (its
``base``) or a returned output all hold a reference. A pool belongs to one thread's replays of one
program and keeps only the buffers its last call took, so it holds no more than one call's worth.
Kernels take buffers from the pool their thread's replay made current (``buffer``).
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

LARGE = 1 << 16  # bytes: smaller arrays cost malloc nothing worth saving
_getrefcount = sys.getrefcount
_empty = np.empty


_planning = threading.local()  # whether the plan being made keeps buffers


@contextmanager
def keeping(enabled: bool) -> Iterator[None]:
    """Make the plans made inside keep buffers between calls (or not)."""
    before = getattr(_planning, "enabled", False)
    _planning.enabled = enabled
    try:
        yield
    finally:
        _planning.enabled = before


def large(shape: tuple | None, dtype: Any) -> bool:
    """Whether an array of ``shape`` and ``dtype`` (a recorded tensor's) is worth a buffer, in a
    plan that keeps buffers (``keeping``)."""
    return (
        getattr(_planning, "enabled", False)
        and shape is not None
        and isinstance(dtype, np.dtype)
        and math.prod(shape) * dtype.itemsize >= LARGE
    )


class Pool:
    """Buffers by (shape, dtype): those taken in this call and those of the last one not yet
    taken again."""

    __slots__ = ("_last", "_now")

    def __init__(self) -> None:
        self._last: dict[tuple, list] = {}
        self._now: dict[tuple, list] = {}

    def start(self) -> None:
        """Begin a call: drop the buffers the last call did not take."""
        self._last = self._now
        self._now = {}

    def take(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        """A free buffer of ``shape`` and ``dtype`` (uninitialised), held until the next call but
        one."""
        key = (shape, dtype)
        now = self._now.get(key)
        if now is None:
            now = self._now[key] = []
        i = _first_free(now)
        if i >= 0:
            return now[i]
        last = self._last.get(key, [])
        i = _first_free(last)
        b = last.pop(i) if i >= 0 else _empty(shape, dtype)
        now.append(b)
        return b

    def held(self) -> int:
        """The number of buffers held (for tests)."""
        return sum(map(len, self._now.values())) + sum(map(len, self._last.values()))


def _first_free(buffers: list) -> int:
    """The index of the first buffer that nothing but ``buffers`` refers to, or -1."""
    for i in range(len(buffers)):
        if _getrefcount(buffers[i]) == 2:  # the list and the argument
            return i
    return -1


_current = threading.local()


def use(pools: threading.local) -> Pool:
    """This thread's pool among ``pools`` (one program's), made current for its kernels."""
    pool = getattr(pools, "pool", None)
    if pool is None:
        pool = pools.pool = Pool()
    _current.pool = pool
    return pool


def buffer(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """A free buffer from the current pool."""
    return _current.pool.take(shape, dtype)


def like(a: np.ndarray) -> np.ndarray | None:
    """A free buffer of ``a``'s shape and dtype where ``a`` is large, else None (NumPy's
    ``out=None``: a fresh array)."""
    if a.nbytes < LARGE:
        return None
    return _current.pool.take(a.shape, a.dtype)
