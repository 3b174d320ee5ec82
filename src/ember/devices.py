"""``ember.device``: PyTorch's device objects, on a machine that only has a CPU.

Any device PyTorch can name can be constructed (``ember.device("cuda:0")``); only the CPU holds
tensors. Asking for another device fails as a CPU-only PyTorch build does: CUDA with an
AssertionError, MPS and the rest with a RuntimeError.
"""

from __future__ import annotations

from typing import Any

_TYPES = (
    "cpu",
    "cuda",
    "ipu",
    "xpu",
    "mkldnn",
    "opengl",
    "opencl",
    "ideep",
    "hip",
    "ve",
    "fpga",
    "maia",
    "xla",
    "lazy",
    "vulkan",
    "mps",
    "meta",
    "hpu",
    "mtia",
    "privateuseone",
)
NO_CUDA = "ember not compiled with CUDA enabled (ember runs on the CPU only)"


class device:  # noqa: N801 (PyTorch's name)
    """A device name: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:1")``."""

    __slots__ = ("_index", "_type")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, int):
            raise RuntimeError(
                "Cannot access accelerator device when none is available (ember runs on the CPU)"
            )
        elif not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {type.__class__.__name__}")
        name, _, number = type.partition(":")
        if name not in _TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device string: {type}"
            )
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self._type = name
        self._index = index

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self) -> int | None:
        return self._index

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, device):
            return False  # as in PyTorch, device("cpu") == "cpu" is False
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __enter__(self) -> device:
        """``with ember.device("cpu"):`` works (the CPU is the only place tensors go anyway)."""
        check(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


CPU = device("cpu")


def check(dev: Any) -> device:
    """The device ``dev`` names (None means the CPU) if tensors can live there; otherwise PyTorch's
    error on a machine without that device."""
    if dev is None:
        return CPU
    d = dev if isinstance(dev, device) else device(dev)
    if d._type == "cpu":
        return CPU
    if d._type == "cuda":
        raise AssertionError(NO_CUDA)
    if d._type == "mps":
        raise RuntimeError("ember is not linked with support for mps devices")
    raise RuntimeError(f"ember has no {d._type} backend: tensors can live on the CPU only")


def set_default_device(dev: Any) -> None:
    """Set the device new tensors go to: only the CPU (or None) is accepted, as in a CPU-only
    PyTorch; ``set_default_device("cuda")`` raises."""
    check(dev)


def parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any, bool, bool, Any]:
    """The arguments of PyTorch's ``to``: ``(dtype, ...)``, ``(device, dtype, ...)`` or
    ``(tensor, ...)``, then ``non_blocking``, ``copy``; returns (device, dtype, non_blocking, copy,
    memory_format)."""
    for key in kwargs:
        if key not in ("device", "dtype", "non_blocking", "copy", "memory_format"):
            raise TypeError(f"to() got an unexpected keyword argument '{key}'")
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    rest = list(args)
    if rest and hasattr(rest[0], "_data"):
        other = rest.pop(0)
        dev, dtype = other.device, other.dtype
    elif rest and _is_device(rest[0]):
        dev = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    if len(rest) > 2:
        raise TypeError(f"to() received too many positional arguments: {args}")
    non_blocking = rest[0] if rest else kwargs.get("non_blocking", False)
    copy = rest[1] if len(rest) > 1 else kwargs.get("copy", False)
    return dev, dtype, bool(non_blocking), bool(copy), kwargs.get("memory_format")


def _is_device(a: Any) -> bool:
    if a is None or (isinstance(a, (device, int)) and not isinstance(a, bool)):
        return True
    return isinstance(a, str) and a.partition(":")[0] in _TYPES
