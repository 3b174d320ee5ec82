"""PyTorch's dtypes over NumPy's: ``ember.float32`` and friends, ``finfo``/``iinfo``, promotion.

An ``ember.dtype`` prints like PyTorch's (``ember.float32``) and hands NumPy its array dtype
through the ``.dtype`` attribute, so ``np.zeros(3, ember.float32)`` works. bfloat16 comes from
``ml_dtypes``, imported when bfloat16's NumPy dtype is first needed (it costs about 8 MiB of
resident memory that a float32 program never uses).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class dtype:  # noqa: N801 (PyTorch's name)
    """A tensor element type (``ember.float32``); compares equal to the same NumPy dtype."""

    __slots__ = ("_name", "_np", "is_complex", "is_floating_point", "is_signed", "itemsize", "kind")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self._name = name
        if np_dtype is None:  # bfloat16: its NumPy dtype (``_np``) is made on first use
            self.is_floating_point, self.is_complex, self.is_signed = True, False, True
            self.itemsize, self.kind = 2, "f"
            return
        self._np = np.dtype(np_dtype)
        self.is_floating_point = self._np.kind == "f"
        self.is_complex = self._np.kind == "c"
        self.is_signed = self._np.kind not in "bu"
        self.itemsize = self._np.itemsize
        # NumPy's kind letter ("f" for bfloat16 too, whose NumPy kind is "V"), for code written
        # against NumPy dtypes
        self.kind = "f" if self.is_floating_point else self._np.kind

    def __getattr__(self, name: str) -> Any:
        # Reached only for an unset slot: bfloat16's ``_np`` before its first use.
        if name != "_np" or self._name != "bfloat16":
            raise AttributeError(f"'ember.dtype' object has no attribute '{name}'")
        return _load_bfloat16()

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (NumPy reads this attribute when handed an ``ember.dtype``)."""
        return self._np

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float32: complex64, float64: complex128}.get(self, self)

    def __repr__(self) -> str:
        return f"ember.{self._name}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, dtype):
            return self is other
        if other is None or (isinstance(other, type) and not issubclass(other, np.generic)):
            return False  # np.dtype(None) and np.dtype(float) mean float64; PyTorch says False
        try:
            return self._np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self._np)

    def __copy__(self) -> dtype:
        return self  # one instance per dtype, as in PyTorch

    def __deepcopy__(self, memo: dict) -> dtype:
        return self


float16 = dtype("float16", np.float16)
bfloat16 = dtype("bfloat16", None)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)  # ember.bool; the aliases (half, long, ...) live in ember/__init__

ALL = (float16, bfloat16, float32, float64, complex64, complex128)
ALL += (uint8, int8, int16, int32, int64, bool_)
_BY_NUMPY = {d._np: d for d in ALL if d is not bfloat16}  # bfloat16 joins when loaded


def _load_bfloat16() -> np.dtype:
    """Import ml_dtypes and give ``ember.bfloat16`` its NumPy dtype."""
    import ml_dtypes

    np_dtype = np.dtype(ml_dtypes.bfloat16)
    bfloat16._np = np_dtype
    _BY_NUMPY[np_dtype] = bfloat16
    return np_dtype


def is_bfloat16(d: np.dtype) -> bool:
    """Whether a NumPy dtype is ml_dtypes' bfloat16 (told by its name, so that asking never
    imports ml_dtypes: an array of it exists only once something has)."""
    return d.kind == "V" and d.name == "bfloat16"


def from_numpy(np_dtype: np.dtype) -> dtype:
    """The ``ember.dtype`` of a NumPy dtype; a TypeError names the supported ones otherwise."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        if is_bfloat16(np_dtype):
            _load_bfloat16()
            return bfloat16
        names = ", ".join(d._name for d in ALL)
        raise TypeError(f"ember has no dtype for NumPy's {np_dtype}; supported: {names}") from None


def is_floating(d: Any) -> bool:
    """Whether an ember or NumPy dtype is floating point (bfloat16 too, whose NumPy kind is 'V')."""
    if type(d) is dtype:
        return d.is_floating_point
    return d.kind == "f" or is_bfloat16(d)


class finfo:  # noqa: N801 (PyTorch's name)
    """Machine limits of a floating dtype (``ember.finfo(ember.float16).eps``)."""

    def __init__(self, type: Any = None) -> None:
        from . import backend

        d = backend.as_dtype(backend.default_float() if type is None else type)
        if not is_floating(d) and d.kind != "c":
            raise TypeError(f"finfo: {from_numpy(d)} is not a floating point dtype")
        info = _bfloat16_finfo(d) if is_bfloat16(d) else np.finfo(d)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0**-info.precision
        self.dtype = from_numpy(d)._name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 (PyTorch's name)
    """Limits of an integer dtype (``ember.iinfo(ember.uint8).max``)."""

    def __init__(self, type: Any) -> None:
        from . import backend

        d = backend.as_dtype(type)
        if d.kind not in "iub":
            raise TypeError(f"iinfo: {from_numpy(d)} is not an integer dtype")
        info = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        if d.kind == "b":
            self.bits, self.max = 8, 1
        self.dtype = from_numpy(d)._name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def _bfloat16_finfo(d: np.dtype) -> Any:
    import ml_dtypes

    return ml_dtypes.finfo(d)


# keyed by name: hashing ember.bfloat16 would load ml_dtypes
_LEGACY = {
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "uint8": "ByteTensor",
    "int8": "CharTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}
_BY_NAME = {d._name: d for d in ALL}


def type_name(d: dtype) -> str:
    """PyTorch's legacy tensor type name, with ember's prefix: ``ember.FloatTensor``."""
    return "ember." + _LEGACY[d._name]


def from_type_name(name: str) -> dtype:
    """The dtype of ``"ember.FloatTensor"`` (or ``"torch.FloatTensor"``)."""
    for d, legacy in _LEGACY.items():
        if name in (f"ember.{legacy}", f"torch.{legacy}"):
            return _BY_NAME[d]
    raise ValueError(f"invalid type: '{name}'")
