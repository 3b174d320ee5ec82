"""The one place that knows the array library: ``xp``, dtypes, devices and random generators."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .devices import check as check_device
from .dtypes import is_floating

xp = np
ndarray = np.ndarray

# The C allocator is left as glibc sets it. Raising M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (mallopt)
# keeps freed arrays in the heap instead of returning them to the OS and faulting them in again:
# measured, a CNN step in a process running only ember went from 53 to 44 ms (5,500 page faults a
# step to none), but the peak memory of 20 MLP steps at batch 512 rose from 36.8 to 38.2 MiB, and
# from 30 to 35 MiB counting the model's construction; next to PyTorch in one process neither the
# faults nor the gain appear. A process-wide setting that costs memory stays the user's choice.

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
uint8 = np.dtype("uint8")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")


class _Supported(tuple):
    """The supported NumPy dtypes; bfloat16 (ml_dtypes', loaded on first use) is among them by
    name, so that asking whether an array's dtype is supported imports nothing."""

    def __contains__(self, d: object) -> bool:
        return (
            tuple.__contains__(self, d)
            or (isinstance(d, np.dtype) and dtypes.is_bfloat16(d))
            or d is dtypes.bfloat16
        )


DTYPES = _Supported((float16, float32, float64, uint8, int8, int16, int32, int64, bool_))
_COMPLEX = (
    "complex tensors are not supported: ember's autograd has no rules for complex numbers "
    "(dtypes ember.complex64 and ember.complex128 exist only to be compared and printed)"
)

_default_dtype = float32


def get_default_dtype() -> dtypes.dtype:
    """The dtype that Python floats and float64 input data become (float32 unless changed)."""
    return dtypes.from_numpy(_default_dtype)


def default_float() -> np.dtype:
    """The default floating dtype as the array library's dtype (for ember's own code)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype (float16, bfloat16, float32 or float64)."""
    global _default_dtype
    d = as_dtype(dtype)
    if not is_floating(d):
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_dtype = d


def as_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of an ember dtype, a NumPy dtype or name, or a Python type; ``float`` means
    the default dtype. Complex and unsupported dtypes raise a TypeError naming the choices."""
    if dtype is float:
        return _default_dtype
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        d = np.dtype(dtype)
    except TypeError:
        if not (isinstance(dtype, str) and dtype == "bfloat16"):  # NumPy knows it once loaded
            raise TypeError(f"unsupported dtype {dtype!r}; use one of {dtype_names()}") from None
        d = dtypes.bfloat16.dtype
    if d.kind == "c" or dtype is complex:
        raise TypeError(_COMPLEX)
    if d not in DTYPES:
        raise TypeError(f"unsupported dtype {d}; use one of {dtype_names()}")
    return d


def dtype_names() -> str:
    names = [str(d) for d in DTYPES]
    return ", ".join([*names[:1], "bfloat16", *names[1:]])


def array_from(data: Any, dtype: Any = None) -> np.ndarray:
    """Build an array the way ``ember.tensor`` does: Python floats and float64 arrays become the
    default dtype unless ``dtype`` says otherwise, Python ints int64, bools bool, and arrays of
    the other supported dtypes keep theirs."""
    if dtype is not None:
        with np.errstate(over="ignore"):  # out-of-range values become inf, as in PyTorch
            return np.array(data, dtype=as_dtype(dtype))
    a = np.array(data)
    d = a.dtype
    if d == float64:
        return a.astype(_default_dtype, copy=False)
    if d in DTYPES:
        return a
    if d.kind in "iu":
        return a.astype(int64)
    if d.kind == "c":
        raise TypeError(_COMPLEX)
    raise TypeError(f"ember.tensor: cannot make a tensor from data of dtype {d}")


def sum_to_shape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Reduce array ``a`` to ``shape`` by summing the dims that broadcasting added or stretched."""
    if a.shape == shape:
        return a
    if not shape:  # to a scalar: the sum over all axes (a.sum), as an array of its own
        return np.asarray(np.add.reduce(a, axis=None))
    lead = a.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != a.shape[lead + i] for i, s in enumerate(shape)):
        raise ValueError(f"sum_to_size: shape {a.shape} cannot be summed to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1
    )
    return np.add.reduce(a, axis=axes).reshape(shape)


def flush_subnormal(a: np.ndarray) -> None:
    """Set the entries of a float16/32/64 array whose magnitude is below the dtype's smallest
    normal number to 0, in place (other dtypes are left alone)."""
    if a.dtype.kind == "f":
        a[np.abs(a) < np.finfo(a.dtype).tiny] = 0


# ---------------------------------------------------------------------------- type promotion
def _category(d: np.dtype) -> int:
    """bool < integer < floating < complex."""
    if d == bool_:
        return 0
    if is_floating(d):
        return 2
    return 3 if d.kind == "c" else 1


def promote_types(a: np.dtype | None, b: np.dtype | None) -> np.dtype | None:
    """PyTorch's promotion table: the higher category wins (int64 with float16 is float16); within
    one the wider type (NumPy agrees there, uint8 with int8 is int16, float16 with bfloat16 is
    float32)."""
    if a is None or b is None:
        return b if a is None else a
    ca, cb = _category(a), _category(b)
    if ca == cb:
        return np.result_type(a, b)
    hi, lo = (a, b) if ca > cb else (b, a)
    if max(ca, cb) == 3 and min(ca, cb) == 2:
        return np.result_type(hi, lo if lo.kind == "f" else float32)
    return hi


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """A higher tier of operands (dimensioned tensors over 0-d ones over Python scalars) keeps its
    dtype unless a lower tier brings a higher category."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    ch, cl = _category(higher), _category(lower)
    if ch == 3:
        return higher
    if cl == 3:
        return promote_types(higher, np.dtype(np.complex64)) if ch == 2 else lower
    if ch == 2:
        return higher
    if ch == 0 or cl == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*args: Any) -> np.dtype:
    """PyTorch's promotion over arrays (dimensioned or 0-d) and Python scalars; complex results
    raise, since ember has no complex tensors."""
    dims = zero = scalars = None
    for a in args:
        if isinstance(a, np.ndarray):
            if a.ndim:
                dims = promote_types(dims, a.dtype)
            else:
                zero = promote_types(zero, a.dtype)
        else:
            scalars = promote_types(scalars, _scalar_dtype(a))
    result = _combine(dims, _combine(zero, scalars))
    assert result is not None, "result_type needs at least one operand"
    if result.kind == "c":
        raise TypeError(_COMPLEX)
    return result


def _scalar_dtype(s: Any) -> np.dtype:
    if isinstance(s, (bool, np.bool_)):
        return bool_
    if isinstance(s, (int, np.integer)):
        return int64
    if isinstance(s, (float, np.floating)):
        return _default_dtype
    if isinstance(s, complex):
        return np.dtype(np.complex128 if _default_dtype == float64 else np.complex64)
    raise TypeError(f"unsupported operand of type {type(s).__name__}")


# ---------------------------------------------------------------------------- randomness
class Generator:
    """A seeded source of random numbers (``ember.Generator().manual_seed(0)``)."""

    __slots__ = ("_rng", "_seed")

    def __init__(self, device: str = "cpu") -> None:
        check_device(device)
        self.manual_seed(np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self._rng.bit_generator.state = state

    @property
    def rng(self) -> np.random.Generator:
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


draw_observers: list = []  # callables told of every draw (ember.compile checks where they happen)


def rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one if None), for one draw."""
    for observer in draw_observers:
        observer()
    return (generator or default_generator).rng
