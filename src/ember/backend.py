"""The one place that knows the array library: ``xp``, dtypes, devices and random generators."""

from __future__ import annotations

from typing import Any

import numpy as np

xp = np
ndarray = np.ndarray

# The C allocator is left as glibc sets it. Raising M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (mallopt)
# keeps freed arrays in the heap instead of returning them to the OS and faulting them in again:
# measured, a CNN step in a process running only ember went from 53 to 44 ms (5,500 page faults a
# step to none), but the peak memory of 20 MLP steps at batch 512 rose from 36.8 to 38.2 MiB, and
# from 30 to 35 MiB counting the model's construction; next to PyTorch in one process neither the
# faults nor the gain appear. A process-wide setting that costs memory stays the user's choice.

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")
DTYPES = (float32, float64, int32, int64, bool_)

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats and float64 input data become (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating dtype (float32 or float64)."""
    global _default_dtype
    d = as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_dtype = d


def as_dtype(dtype: Any) -> np.dtype:
    """Normalise a dtype given as an ember/NumPy dtype, a type or a name; reject others."""
    if dtype is float:
        return _default_dtype
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unsupported dtype {dtype!r}; use one of {dtype_names()}") from None
    if d not in DTYPES:
        raise TypeError(f"unsupported dtype {d}; use one of {dtype_names()}")
    return d


def dtype_names() -> str:
    return ", ".join(str(d) for d in DTYPES)


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def array_from(data: Any, dtype: Any = None) -> np.ndarray:
    """Build an array the way ``ember.tensor`` does: floating data becomes the default dtype unless
    ``dtype`` says otherwise, int32 stays int32, other integers become int64, bools stay bool."""
    if dtype is not None:
        return np.array(data, dtype=as_dtype(dtype))
    a = np.array(data)
    kind = a.dtype.kind
    if kind == "f":
        return a.astype(_default_dtype, copy=False)
    if kind in "iu":
        return a.astype(int32 if a.dtype == int32 else int64, copy=False)
    if kind == "b":
        return a
    raise TypeError(f"ember.tensor: cannot make a tensor from data of dtype {a.dtype}")


def sum_to_shape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Reduce array ``a`` to ``shape`` by summing the dims that broadcasting added or stretched."""
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != a.shape[lead + i] for i, s in enumerate(shape)):
        raise ValueError(f"sum_to_size: shape {a.shape} cannot be summed to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1
    )
    return a.sum(axis=axes).reshape(shape)


# ---------------------------------------------------------------------------- type promotion
_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def result_type(*args: Any) -> np.dtype:
    """PyTorch's promotion. Operands fall in three tiers: arrays with dimensions, 0-d arrays, Python
    scalars. The first tier present decides, and a later tier only wins when its category
    (bool < integer < floating) is higher; Python floats then mean the default dtype."""
    result: np.dtype | None = None
    for tier in _tiers(args):
        if not tier:
            continue
        top = max(_CATEGORY[t.kind] for t in tier)  # float32 with int64 stays float32
        d = np.result_type(*[t for t in tier if _CATEGORY[t.kind] == top])
        if result is None or _CATEGORY[d.kind] > _CATEGORY[result.kind]:
            result = d
    assert result is not None, "result_type needs at least one operand"
    return result


def _tiers(args: tuple) -> tuple[list, list, list]:
    dims: list = []
    zero: list = []
    scalars: list = []
    for a in args:
        if isinstance(a, np.ndarray):
            (dims if a.ndim else zero).append(a.dtype)
        else:
            scalars.append(_scalar_dtype(a))
    return dims, zero, scalars


def _scalar_dtype(s: Any) -> np.dtype:
    if isinstance(s, (bool, np.bool_)):
        return bool_
    if isinstance(s, (int, np.integer)):
        return int64
    if isinstance(s, (float, np.floating)):
        return _default_dtype
    raise TypeError(f"unsupported operand of type {type(s).__name__}")


# ---------------------------------------------------------------------------- devices
def check_device(device: Any) -> str:
    """Only the CPU exists today; the name is checked so that a later GPU backend slots in here."""
    name = str(device) if device is not None else "cpu"
    if name != "cpu":
        raise RuntimeError(f"device {name!r} is not available; ember runs on 'cpu'")
    return name


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


def rng(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator).rng
