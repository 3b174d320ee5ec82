"""The compiled callable: a cache of recordings by signature, recording on a miss, and the
fall-back to eager execution with one warning."""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import state
from .pool import keeping
from .replay import Program
from .signature import UnkeyableError, call_key
from .tracer import Tracer, Unsupported, user_frame

CACHE_SIZE_LIMIT = 8  # recordings kept per compiled callable (PyTorch's cache_size_limit)


class CompiledCallable:
    """``fn`` compiled: the first call of each signature runs eagerly and records; later calls
    with that signature replay the recording on arrays. ``modules`` are the modules whose
    ``training`` and parameters the signature covers."""

    def __init__(
        self,
        fn: Callable,
        modules: list,
        *,
        fullgraph: bool = False,
        dynamic: bool | None = None,
        keep_buffers: bool = False,
    ) -> None:
        self._fn = fn
        self._modules = modules
        self._fullgraph = fullgraph
        self._dynamic = dynamic
        self._keep_buffers = keep_buffers
        self._cache: dict = {}
        self._lock = threading.Lock()
        self._eager = False
        self._warned_limit = False
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._eager or state.special:  # fallen back; inference mode, forward AD, recording
            return self._fn(*args, **kwargs)
        try:
            key, tensors = call_key(args, kwargs, self._modules)
        except UnkeyableError as e:
            self._fall_back(str(e), *user_frame())
            return self._fn(*args, **kwargs)
        program = self._cache.get(key)
        if program is not None:
            return program.run(tensors)
        if len(self._cache) >= CACHE_SIZE_LIMIT:
            self._warn_limit()
            return self._fn(*args, **kwargs)
        return self._record(key, tensors, args, kwargs)

    def _record(self, key: tuple, tensors: list, args: tuple, kwargs: dict) -> Any:
        tracer = Tracer(tensors, self._fullgraph)
        state.tracer = tracer
        try:
            out = self._fn(*args, **kwargs)
        finally:
            state.tracer = None
        rec = tracer.finish(out) if tracer.failure is None else None
        if rec is None:
            assert tracer.failure is not None
            self._fall_back(*tracer.failure)
            return out
        with keeping(self._keep_buffers):
            program = Program(rec)
        with self._lock:
            self._cache[key] = program
        return out

    def _name(self) -> str:
        return getattr(self._fn, "__qualname__", type(self._fn).__name__)

    def _fall_back(self, what: str, filename: str, lineno: int) -> None:
        if self._fullgraph:
            raise Unsupported(f"ember.compile(fullgraph=True): cannot record {what}")
        self._eager = True
        warnings.warn_explicit(
            f"ember.compile: {self._name()} runs eagerly from now on: it uses {what}, which a "
            "recording cannot replay (see docs/compile.md; fullgraph=True makes this an error)",
            UserWarning,
            filename,
            lineno,
        )

    def _warn_limit(self) -> None:
        if self._warned_limit:
            return
        self._warned_limit = True
        hint = (
            "dynamic=True does not help: ember records one program per shape"
            if self._dynamic
            else "shapes that change from call to call each need a recording (PyTorch's "
            "dynamic=True; ember records one program per shape, so pad or bucket them)"
        )
        warnings.warn(
            f"ember.compile: {self._name()} has been recorded for {CACHE_SIZE_LIMIT} signatures "
            f"(cache_size_limit = {CACHE_SIZE_LIMIT}); calls with a new signature run eagerly. "
            f"{hint}.",
            UserWarning,
            stacklevel=3,
        )
