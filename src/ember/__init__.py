"""ember: a deep-learning library on NumPy with PyTorch's names and semantics."""

from . import (
    autograd,
    data,
    func,
    linalg,
    nn,
    ops,
    optim,
    random,
    special,
    utils,
)
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import Generator, get_default_dtype, manual_seed, set_default_dtype
from .compat import (
    accelerator,
    amp,
    backends,
    compile,
    cuda,
    get_num_interop_threads,
    get_num_threads,
    set_flush_denormal,
    set_num_interop_threads,
    set_num_threads,
)
from .compat.amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled
from .creation import *
from .devices import device
from .dtypes import (
    bfloat16,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from .dtypes import bool_ as bool
from .io import load, save
from .ops import *
from .printing import get_printoptions, set_printoptions
from .random import get_rng_state, initial_seed, seed, set_rng_state
from .size import Size, channels_last, contiguous_format, memory_format, preserve_format
from .tensor import Tensor
from .tensor_functions import *

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

__version__ = "0.1.0"

# Subpackages a training script may never touch load on first use (``ember.distributions``,
# ``from ember import onnx`` and ``import ember.onnx`` all work): about 1 MiB of resident memory.
_LAZY = frozenset({"datasets", "distributed", "distributions", "onnx", "pretrain"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
