"""``ember.accelerator``: PyTorch's device-agnostic accelerator API on a CPU-only machine."""

from __future__ import annotations

from typing import Any

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: there is no accelerator (the CPU is not one, as in PyTorch)."""
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NONE)


def set_device_index(device: Any) -> None:
    raise RuntimeError(_NONE)


def synchronize(device: Any = None) -> None:
    raise RuntimeError(_NONE)
