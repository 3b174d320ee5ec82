"""``ember.cuda.amp``: PyTorch's deprecated CUDA spellings of ``GradScaler`` and ``autocast``."""

from __future__ import annotations

import warnings
from typing import Any

from . import amp


class GradScaler(amp.GradScaler):
    """``ember.amp.GradScaler("cuda", ...)``, with PyTorch's deprecation warning; it disables
    itself (with a warning) when enabled, since there is no CUDA."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`ember.cuda.amp.GradScaler(args...)` is deprecated. Please use "
            "`ember.amp.GradScaler('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )


class autocast(amp.autocast):  # noqa: N801 (PyTorch's name)
    """``ember.amp.autocast("cuda", ...)``: warns and does nothing without CUDA."""

    def __init__(self, enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> None:
        warnings.warn(
            "`ember.cuda.amp.autocast(args...)` is deprecated. Please use "
            "`ember.amp.autocast('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", dtype, enabled, cache_enabled)
