"""``ember.nn.functional``: PyTorch's ``torch.nn.functional`` names.

Most entries are the ops of ``ember.ops`` under the same name; what PyTorch adds on top (dropout,
embedding, bilinear, the ``inplace=`` flags) is composed here from those ops.
"""

from __future__ import annotations

from .. import backend, ops
from ..autograd.grad_mode import no_grad
from ..ops import (
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    conv2d,
    conv_transpose2d,
    cross_entropy,
    gelu,
    huber_loss,
    kl_div,
    l1_loss,
    layer_norm,
    linear,
    log_softmax,
    max_pool2d,
    mse_loss,
    nll_loss,
    one_hot,
    pad,
    sigmoid,
    smooth_l1_loss,
    softmax,
    softplus,
    tanh,
)
from ..tensor import Tensor
from .functional_attention import multi_head_attention_forward, scaled_dot_product_attention

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "elu",
    "elu_",
    "embedding",
    "gelu",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "multi_head_attention_forward",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "relu",
    "relu_",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x); with ``inplace``, written into ``input`` (as every ``inplace=`` here: the
    version counter and the leaf check of in-place ops apply)."""
    return input._inplace(ops.relu) if inplace else ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    """``relu`` in place."""
    return input._inplace(ops.relu)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x >= 0, negative_slope * x otherwise."""
    if inplace:
        return input._inplace(ops.leaky_relu, negative_slope)
    return ops.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu`` in place."""
    return input._inplace(ops.leaky_relu, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return input._inplace(ops.elu, alpha) if inplace else ops.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu`` in place."""
    return input._inplace(ops.elu, alpha)


def _silu(input: Tensor) -> Tensor:
    return input * ops.sigmoid(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return input._inplace(_silu) if inplace else _silu(input)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    return input / ops.clamp(ops.norm(input, p, dim, keepdim=True), min=eps)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """While ``training``, zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) (inverted dropout, so evaluation needs no rescaling). Draws from the default
    generator (``ember.manual_seed``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    return (
        input._inplace(ops.random.Dropout.apply, p)
        if inplace
        else ops.random.Dropout.apply(input, p)
    )


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` (V, D) picked by the integer ``input`` (*) -> (*, D).

    Positions equal to ``padding_idx`` pass no gradient to that row. With ``max_norm``, the rows
    used are first rescaled in place to norm at most ``max_norm`` (as PyTorch does).
    """
    if input.is_floating_point() or input.dtype == bool:
        raise TypeError(f"embedding: indices must be an integer tensor, got dtype {input.dtype}")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    flat = ops.index_select(weight, 0, input.reshape(-1))
    out = flat.reshape(*input.shape, weight.shape[1])
    if padding_idx is not None:
        padding_idx %= weight.shape[0]
        out = ops.where((input == padding_idx).unsqueeze(-1), out.detach(), out)
    return out


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    xp = backend.xp
    rows = xp.unique(input._data)
    norms = xp.linalg.norm(weight._data[rows], ord=norm_type, axis=1, keepdims=True)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight[Tensor(rows)] = Tensor(weight._data[rows] * scale, dtype=weight.dtype)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T W_k x2 + b_k: (*, in1), (*, in2), W (out, in1, in2) -> (*, out)."""
    out = ops.einsum("...i,kij,...j->...k", input1, weight, input2)
    return out if bias is None else out + bias
