"""Switches of the engine: gradient recording, inference mode and forward-mode AD per thread (as in
PyTorch, a ``no_grad`` in one thread leaves every other thread recording); anomaly detection for
the whole process."""

from __future__ import annotations

import functools
import operator
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _switch(field: str) -> Any:
    """A per-thread switch stored in ``field``; setting it updates the derived fields."""

    def set_(self: _ThreadState, mode: bool) -> None:
        setattr(self, field, mode)
        recording = self._tracer is not None
        self.record = self._grad and not self._inference and not recording
        self.special = self._inference or self._forward_ad or recording

    return property(operator.attrgetter(field), set_)  # a C getter: read on every op


def _set_grad(self: _ThreadState, mode: bool) -> None:
    """The switch flipped most (no_grad, every backward): of the derived fields, only ``record``
    depends on it."""
    self._grad = mode
    self.record = mode and not self._inference and self._tracer is None


class _ThreadState(threading.local):
    """What one thread records: each thread starts with grad on, inference and forward AD off.

    ``record`` (grad on, inference off) and ``special`` (inference or forward AD on) are derived
    when a switch changes, so that an op reads one field to know its path. ``tracer`` is set
    while ``ember.compile`` records a call on this thread: every op then goes through it.
    """

    grad_enabled = property(operator.attrgetter("_grad"), _set_grad)
    inference = _switch("_inference")
    forward_ad = _switch("_forward_ad")
    tracer = _switch("_tracer")

    def __init__(self) -> None:
        self._grad, self._inference, self._forward_ad = True, False, False
        self._tracer: Any = None
        self.retain_graph = False  # set by the engine during a backward
        self.record, self.special = True, False
        self.autocast: Any = None  # the dtype of ember.autocast("cpu") while it is on


class _ProcessState:
    __slots__ = ("anomaly",)

    def __init__(self) -> None:
        self.anomaly = False


state = _ThreadState()
process = _ProcessState()


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


class inference_mode:  # noqa: N801 - PyTorch's spelling
    """``no_grad`` whose tensors are inference tensors: they never join a graph recorded later
    (saving one for backward, or setting ``requires_grad`` on one, raises outside the mode).

    Nothing records inside, even under ``enable_grad``. ``inference_mode(False)`` turns grad on
    and inference off for its extent, as in PyTorch. Usable as a decorator too.
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def __enter__(self) -> None:
        self._prev = state.grad_enabled, state.inference
        state.grad_enabled, state.inference = not self._mode, self._mode

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled, state.inference = self._prev

    def __call__(self, fn: F) -> F:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def is_grad_enabled() -> bool:
    """Whether operations of this thread are being recorded for backward."""
    return state.grad_enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode``."""
    return state.inference
