"""The PyTorch surface that is not maths, for a CPU-only machine: ``ember.cuda``,
``ember.accelerator``, ``ember.backends``, ``ember.amp``, ``ember.compile``,
``ember.set_flush_denormal``, ``ember.set_num_threads`` and its kin.

The core never imports this package; ``ember/__init__`` re-exports it, and the modules are also
registered under their public names so that ``import ember.backends.cudnn`` works.
"""

import sys

from . import accelerator, amp, backends, cuda
from .compile import compile
from .denormal import set_flush_denormal
from .threads import (
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)

__all__ = [
    "accelerator",
    "amp",
    "backends",
    "compile",
    "cuda",
    "get_num_interop_threads",
    "get_num_threads",
    "set_flush_denormal",
    "set_num_interop_threads",
    "set_num_threads",
]

for _name, _module in {
    "accelerator": accelerator,
    "amp": amp,
    "backends": backends,
    "cuda": cuda,
    "cuda.amp": cuda.amp,
    **{f"backends.{n}": getattr(backends, n) for n in backends.__all__},
}.items():
    sys.modules[f"ember.{_name}"] = _module
