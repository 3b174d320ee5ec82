"""``ember.set_num_threads`` and friends: PyTorch's thread settings, for the BLAS under NumPy.

ember's own code runs in the calling thread; the threads that matter are those of the BLAS that
NumPy links (OpenBLAS in NumPy's wheels), which does the matrix products. ``set_num_threads``
sets them at run time through OpenBLAS's ``openblas_set_num_threads`` (found among the loaded
libraries, under the prefixed and suffixed names that NumPy's own build uses), as
``OPENBLAS_NUM_THREADS`` does at start-up. Where no OpenBLAS is loaded (another BLAS), the number
is kept and reported but changes nothing.

ember has no pool for inter-op parallelism: ``set_num_interop_threads`` records its number and,
as in PyTorch, may be called once.
"""

from __future__ import annotations

import ctypes
import operator
import os
from functools import cache
from typing import Any

__all__ = [
    "get_num_interop_threads",
    "get_num_threads",
    "set_num_interop_threads",
    "set_num_threads",
]

# (prefix, suffix) of OpenBLAS's symbols: NumPy's wheels build it as "scipy_openblas...64_".
_MANGLINGS = (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", ""))
_INT_MAX = 2**31 - 1

_set: dict[str, int] = {}  # "intra" after set_num_threads, "interop" after its setter


@cache
def _openblas() -> tuple[Any, Any] | None:
    """OpenBLAS's (set, get) thread functions of the library NumPy loaded, or None."""
    import numpy  # noqa: F401 - loads the BLAS this looks for

    for path in _loaded_libraries():
        if "openblas" not in os.path.basename(path).lower():
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _MANGLINGS:
            setter = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return setter, getter
    return None


def _loaded_libraries() -> list[str]:
    """Paths of the shared libraries mapped into this process (Linux), else none."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if ".so" in line}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def _positive(name: str, value: Any) -> int:
    """``value`` as a thread count, with PyTorch's errors."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    n = operator.index(value)
    if n > _INT_MAX:
        raise ValueError("Overflow when unpacking long")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(int: Any) -> None:
    """Set the number of threads of the BLAS's matrix products (PyTorch: intra-op threads)."""
    n = _positive("set_num_threads", int)
    blas = _openblas()
    if blas is not None:
        blas[0](n)
    _set["intra"] = n


def get_num_threads() -> int:
    """The number of threads of the BLAS's matrix products (PyTorch: intra-op threads)."""
    blas = _openblas()
    if blas is not None:
        return blas[1]()
    return _set.get("intra", os.cpu_count() or 1)


def set_num_interop_threads(int: Any) -> None:
    """Record the number of inter-op threads (ember runs ops in the calling thread); once only,
    as in PyTorch."""
    n = _positive("set_num_interop_threads", int)
    if "interop" in _set:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or "
            "set_num_interop_threads called"
        )
    _set["interop"] = n


def get_num_interop_threads() -> int:
    """The number of inter-op threads set (PyTorch's default: the number of CPUs)."""
    return _set.get("interop", os.cpu_count() or 1)
