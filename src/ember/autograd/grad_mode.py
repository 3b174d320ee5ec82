"""Global switches of the engine: gradient recording, forward-mode AD, anomaly detection."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    __slots__ = ("anomaly", "forward_ad", "grad_enabled")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.forward_ad = False
        self.anomaly = False


state = _State()


class _GradSwitch:
    """Context manager and decorator that sets gradient recording for its extent."""

    _mode: bool

    def __enter__(self) -> None:
        self._prev = state.grad_enabled
        state.grad_enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self._prev

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradSwitch):  # noqa: N801 - PyTorch's spelling
    """Nothing inside records a graph: ``with ember.no_grad(): ...`` or ``@ember.no_grad()``."""

    _mode = False


class enable_grad(_GradSwitch):  # noqa: N801
    """Turn recording back on inside a ``no_grad`` region."""

    _mode = True


class set_grad_enabled(_GradSwitch):  # noqa: N801
    """Set recording on or off; usable as a call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = state.grad_enabled
        state.grad_enabled = self._mode

    def __enter__(self) -> None:
        state.grad_enabled = self._mode

    def __call__(self, fn: F) -> F:
        state.grad_enabled = self._prev  # used as a decorator: the switch applies inside fn only
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    """Whether operations are being recorded for backward."""
    return state.grad_enabled
