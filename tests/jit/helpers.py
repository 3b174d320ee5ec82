"""Comparing a compiled callable with eager execution, bit for bit."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import ember


def same(a: Any, b: Any) -> bool:
    """Bit-identical arrays (NaN where the other has NaN; same dtype and shape)."""
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.dtype == b.dtype
        and a.shape == b.shape
        and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    )


def tensors_of(out: Any) -> list:
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors_of(o)]
    return []


def replays(compiled: Any) -> bool:
    """Whether ``compiled`` holds a recording (it did not fall back to eager)."""
    fn = getattr(compiled, "forward", compiled)
    return bool(fn._cache) and not fn._eager


def no_warnings() -> Any:
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")
    return ctx
