"""``ember.amp``: PyTorch's automatic mixed precision on a CPU-only machine.

``autocast("cpu", dtype=ember.bfloat16)`` is real, as in PyTorch: inside it matmul, mm, bmm,
addmm, linear, conv2d and conv_transpose2d cast their floating operands to the autocast dtype
(differentiably, so gradients reach float32 parameters in float32). Other ops run in the dtype of
their inputs (PyTorch also moves a list of ops to float32; ember does not). ``autocast("cuda")``
warns and does nothing, as PyTorch does without CUDA.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import state
from .grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_available"]
__all__ += ["is_autocast_enabled"]

_ACCELERATORS = ("cuda", "mps", "xpu", "hpu", "xla", "mtia", "maia", "ipu", "privateuseone")
_CPU_DTYPES = (dtypes.bfloat16, dtypes.float16)


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run on ``device_type`` here: only on the CPU."""
    return device_type == "cpu"


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread (never for an accelerator)."""
    return device_type == "cpu" and state.autocast is not None


def get_autocast_dtype(device_type: str) -> dtypes.dtype:
    """The dtype autocast uses on ``device_type``: the active one, else PyTorch's default."""
    if device_type == "cpu":
        return dtypes.from_numpy(state.autocast) if state.autocast is not None else dtypes.bfloat16
    return dtypes.float16


class autocast:  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: run matmul/linear/conv in ``dtype`` (CPU default bfloat16).

    >>> with ember.autocast("cpu"):
    ...     ember.ones(2, 2) @ ember.ones(2, 2)
    tensor([[2., 2.],
            [2., 2.]], dtype=ember.bfloat16)
    """

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type != "cpu" and device_type not in _ACCELERATORS:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self.device = device_type
        self.fast_dtype = (
            get_autocast_dtype(device_type) if dtype is None else dtypes.from_numpy(np.dtype(dtype))
        )
        self._enabled = bool(enabled)
        self._saved: list = []
        if device_type != "cpu":
            if self._enabled:
                warnings.warn(
                    f"User provided device_type of '{device_type}', but {device_type.upper()} is "
                    "not available (ember runs on the CPU). Disabling autocast.",
                    stacklevel=2,
                )
            self._enabled = False
        elif self._enabled and self.fast_dtype not in _CPU_DTYPES:
            warnings.warn(
                "In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                "CPU Autocast only supports dtypes of ember.bfloat16, ember.float16 currently.",
                stacklevel=2,
            )
            self._enabled = False

    def __enter__(self) -> autocast:
        self._saved.append(state.autocast)
        if self.device == "cpu":
            state.autocast = self.fast_dtype.dtype if self._enabled else None
        return self

    def __exit__(self, *exc: Any) -> None:
        state.autocast = self._saved.pop()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper
