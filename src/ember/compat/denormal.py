"""``ember.set_flush_denormal``: PyTorch's switch for flushing subnormal floats to zero on the CPU.

On x86-64 Linux with glibc, the switch sets (or clears) two bits of the SSE control register
MXCSR: FTZ, so that a result below the smallest normal float becomes 0, and DAZ, so that a
subnormal input is read as 0. Every NumPy and BLAS float32/float64 operation of the calling thread
then skips the slow subnormal path. The register is reached through glibc's ``fegetenv`` /
``fesetenv``, whose x86-64 ``fenv_t`` ends with the MXCSR word.

Like PyTorch's, the mode belongs to the calling thread (MXCSR is per thread): threads started
afterwards inherit it, threads already running (BLAS worker pools) keep theirs. Elsewhere (other
CPUs or C libraries) it returns False and changes nothing; PyTorch also supports AArch64 there.
"""

from __future__ import annotations

import ctypes
import platform
import sys
from functools import cache
from typing import Any

__all__ = ["set_flush_denormal"]

_FTZ = 1 << 15  # flush-to-zero: subnormal results become 0
_DAZ = 1 << 6  # denormals-are-zero: subnormal operands are read as 0
_FENV_BYTES = 32  # sizeof(fenv_t) on x86-64 glibc: the 28-byte x87 environment, then MXCSR
_MXCSR_OFFSET = 28


@cache
def _libm() -> Any:
    """glibc's libm where the switch works (x86-64 Linux, glibc, SSE3), else None."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None
    if platform.libc_ver()[0] != "glibc" or not _has_sse3():
        return None
    try:
        libm = ctypes.CDLL("libm.so.6")
    except OSError:
        return None
    for name in ("fegetenv", "fesetenv"):
        getattr(libm, name).argtypes = [ctypes.c_void_p]
        getattr(libm, name).restype = ctypes.c_int
    return libm


def _has_sse3() -> bool:
    """Whether /proc/cpuinfo lists SSE3 (``pni``), the condition PyTorch checks before DAZ."""
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " pni" in line for line in f)
    except OSError:
        return False


def _environment(libm: Any) -> ctypes.Array:
    env = ctypes.create_string_buffer(_FENV_BYTES)
    if libm.fegetenv(env) != 0:
        raise OSError("set_flush_denormal: fegetenv failed")
    return env


def _mxcsr(env: ctypes.Array) -> ctypes.c_uint32:
    return ctypes.c_uint32.from_buffer(env, _MXCSR_OFFSET)


def set_flush_denormal(mode: bool) -> bool:
    """Flush subnormal floats to zero on the CPU (``mode=True``) or stop (``False``), for the
    calling thread; returns True where supported (x86-64 Linux with glibc), else False.

    >>> import ember
    >>> ember.set_flush_denormal(True)
    True
    >>> ember.tensor([1e-323], dtype=ember.float64) * 1
    tensor([0.], dtype=ember.float64)
    >>> ember.set_flush_denormal(False)
    True
    """
    libm = _libm()
    if libm is None:
        return False
    env = _environment(libm)
    word = _mxcsr(env)
    word.value = word.value | (_FTZ | _DAZ) if mode else word.value & ~(_FTZ | _DAZ)
    return libm.fesetenv(env) == 0


def flush_denormal_enabled() -> bool:
    """Whether the calling thread flushes subnormals (both MXCSR bits set); False if unsupported."""
    libm = _libm()
    if libm is None:
        return False
    return _mxcsr(_environment(libm)).value & (_FTZ | _DAZ) == _FTZ | _DAZ
