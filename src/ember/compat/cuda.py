"""``ember.cuda``: PyTorch's CUDA module as it behaves on a machine without CUDA.

Queries answer as a CPU-only PyTorch does (``is_available()`` False, ``device_count()`` 0, memory
counters 0); seeding and ``empty_cache`` are silently ignored; anything that needs a device raises
PyTorch's AssertionError.
"""

from __future__ import annotations

from typing import Any

from ..devices import NO_CUDA
from . import cuda_amp as amp

__all__ = ["amp", "current_device", "device_count", "empty_cache", "get_device_name"]
__all__ += ["is_available", "is_bf16_supported", "is_initialized", "manual_seed"]
__all__ += ["manual_seed_all", "max_memory_allocated", "memory_allocated", "memory_reserved"]
__all__ += ["seed", "seed_all", "set_device", "synchronize"]


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Ignored without CUDA, as in PyTorch."""


def manual_seed_all(seed: int) -> None:
    """Ignored without CUDA, as in PyTorch."""


def seed() -> None:
    """Ignored without CUDA, as in PyTorch."""


def seed_all() -> None:
    """Ignored without CUDA, as in PyTorch."""


def empty_cache() -> None:
    """Nothing is cached without CUDA."""


def memory_allocated(device: Any = None) -> int:
    return 0


def max_memory_allocated(device: Any = None) -> int:
    return 0


def memory_reserved(device: Any = None) -> int:
    return 0


def _no_cuda(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(NO_CUDA)


current_device = synchronize = get_device_name = set_device = _no_cuda
get_device_properties = get_device_capability = get_rng_state = current_stream = _no_cuda
