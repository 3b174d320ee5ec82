"""ember: a deep-learning library on NumPy with PyTorch's names and semantics."""

from . import (
    autograd,
    data,
    datasets,
    distributed,
    distributions,
    func,
    linalg,
    nn,
    onnx,
    ops,
    optim,
    pretrain,
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
from .backend import (
    Generator,
    bool_,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    manual_seed,
    set_default_dtype,
)
from .creation import *
from .io import load, save
from .ops import *
from .tensor import Tensor

bool = bool_

__version__ = "0.1.0"
