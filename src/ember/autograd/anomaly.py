"""Anomaly detection, one setting for the whole process as in PyTorch: inside
``detect_anomaly()``, each recorded op remembers where the user's code created it, and a NaN or
Inf produced by a backward rule raises an error naming the op and that place."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .grad_mode import process


class detect_anomaly:  # noqa: N801 - PyTorch's spelling
    """Context manager (and decorator) that turns on anomaly detection for its extent.

    Recording a stack per op makes forward slower: use it to debug, not to train.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self._mode = check_nan

    def __enter__(self) -> None:
        self._prev = process.anomaly
        process.anomaly = self._mode

    def __exit__(self, *exc: object) -> None:
        process.anomaly = self._prev

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):  # noqa: N801
    """Turn anomaly detection on or off (a call, or a context manager restoring the old value)."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._prev = process.anomaly
        process.anomaly = bool(mode)

    def __enter__(self) -> None:
        process.anomaly = self._mode


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return process.anomaly
