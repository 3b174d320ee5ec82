"""Attention with ``torch.nn.functional``'s semantics: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (what ``nn.MultiheadAttention`` runs).

Masks follow PyTorch's two conventions: in ``scaled_dot_product_attention`` a bool mask is True
where attention is *allowed*; in multi-head attention (``attn_mask``, ``key_padding_mask``) a bool
mask is True where it is *not*. Float masks are added to the scores in both.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import ops
from ..ops.attention import attention_softmax
from ..tensor import Tensor

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _mask_array(mask: Tensor, name: str, allowed_when_true: bool) -> Any:
    """A bool mask as an additive array of 0 and -inf (a float mask's own values)."""
    data = mask._data
    if data.dtype == np.bool_:
        keep = data if allowed_when_true else ~data
        return np.where(keep, 0.0, -np.inf)
    if data.dtype.kind != "f":
        raise RuntimeError(
            f"Expected {name} dtype to be bool or float or to match query dtype, but got "
            f"{name}.dtype: {data.dtype}"
        )
    return data


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dims: (..., L, E), (..., S, E),
    (..., S, Ev) -> (..., L, Ev); batch dims broadcast.

    ``attn_mask``: bool (True = may attend) or float (added), broadcastable to (..., L, S).
    ``is_causal``: position i attends to j <= i (top-left aligned; with ``attn_mask`` an error).
    A query that may attend to nothing gives zeros. ``enable_gqa``: key/value heads (dim -3)
    are repeated to the query's number of heads. ``dropout_p`` drops attention weights (always,
    as in PyTorch: pass 0.0 in evaluation).
    """
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {tuple(query.shape)}, key "
            f"{tuple(key.shape)} and value {tuple(value.shape)} do not fit (expected (..., L, E), "
            "(..., S, E), (..., S, Ev))"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = ops.matmul(query * scale, key.mT)
    bias = None
    if attn_mask is not None:
        if attn_mask.requires_grad and attn_mask.is_floating_point():
            scores = scores + attn_mask
        else:
            bias = _mask_array(attn_mask, "attn_mask", allowed_when_true=True)
    if is_causal:
        bias = np.where(np.tri(length, source, dtype=bool), 0.0, -np.inf)
    weights = attention_softmax(scores, bias)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return ops.matmul(weights, value)


def _dropout(x: Tensor, p: float) -> Tensor:
    from .functional import dropout  # the one dropout of nn.functional (it imports this module)

    return dropout(x, p, True)


def _repeat_heads(t: Tensor, heads: int) -> Tensor:
    groups, rem = divmod(heads, t.shape[-3])
    if rem:
        raise RuntimeError(
            f"scaled_dot_product_attention: with enable_gqa the number of query heads ({heads}) "
            f"must be a multiple of the key/value heads ({t.shape[-3]})"
        )
    index = Tensor(np.repeat(np.arange(t.shape[-3]), groups))
    return ops.index_select(t, t.dim() - 3, index)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs (L, N, E) (or unbatched (L, E)); returns
    the output (L, N, E) and, with ``need_weights``, the attention weights (N, L, S), or
    (N, heads, L, S) when ``average_attn_weights`` is False."""
    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    if (
        attn_mask is not None
        and key_padding_mask is not None
        and (attn_mask.dtype == np.bool_) != (key_padding_mask.dtype == np.bool_)
    ):
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type "
            "for both instead.",
            stacklevel=3,
        )
    bias_q = bias_kk = bias_vv = None
    if in_proj_bias is not None:
        bias_q, bias_kk, bias_vv = in_proj_bias.chunk(3)
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    q = ops.linear(query, w_q, bias_q)
    k = ops.linear(key, w_k, bias_kk)
    v = ops.linear(value, w_v, bias_vv)
    source = key.shape[0] if static_k is None else static_k.shape[1]
    mask = _attention_bias(attn_mask, key_padding_mask, batch, num_heads, length, source)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = ops.cat([k, bias_k.expand(1, batch, embed_dim)])
        v = ops.cat([v, bias_v.expand(1, batch, embed_dim)])
        mask = _pad_last(mask, 0.0)
    q = q.reshape(length, batch * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], batch * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], batch * num_heads, head_dim).transpose(0, 1)
    k = k if static_k is None else _static(static_k, "static_k", batch * num_heads, head_dim)
    v = v if static_v is None else _static(static_v, "static_v", batch * num_heads, head_dim)
    if add_zero_attn:
        zeros = Tensor(np.zeros((batch * num_heads, 1, head_dim), dtype=k.dtype))
        k, v = ops.cat([k, zeros], 1), ops.cat([v, zeros], 1)
        mask = _pad_last(mask, 0.0)
    dropout_p = dropout_p if training else 0.0
    source = k.shape[1]
    scores = ops.matmul(q * math.sqrt(1.0 / head_dim), k.mT)
    if mask is not None and isinstance(mask, Tensor):
        scores, mask = scores + mask, None
    # Without weights PyTorch runs scaled_dot_product_attention: a row masked throughout gives
    # 0 there and NaN in the weighted path.
    weights = attention_softmax(scores, mask, safe=not need_weights)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    out = ops.matmul(weights, v).transpose(0, 1).reshape(length * batch, embed_dim)
    out = ops.linear(out, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
    if not need_weights:
        return (out if batched else out.squeeze(1)), None
    weights = weights.reshape(batch, num_heads, length, source)
    if average_attn_weights:
        weights = weights.mean(1)
    if not batched:
        return out.squeeze(1), weights.squeeze(0)
    return out, weights


def _static(t: Tensor, name: str, rows: int, head_dim: int) -> Tensor:
    """A precomputed key or value (batch * heads, S, head_dim) used in place of the projection."""
    if t.shape[0] != rows or t.shape[2] != head_dim:
        raise AssertionError(
            f"expecting {name} of shape ({rows}, S, {head_dim}), but got {_size(t)}"
        )
    return t


def _attention_bias(
    attn_mask: Tensor | None,
    key_padding_mask: Tensor | None,
    batch: int,
    heads: int,
    length: int,
    source: int,
) -> Any:
    """attn_mask and key_padding_mask merged into one additive (batch * heads, L, S) mask: an
    array, a Tensor when a float mask requires grad, or None."""
    mask: Any = None
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (length, source):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {_size(attn_mask)}, but should be "
                    f"{(length, source)}."
                )
            mask = _as_additive(attn_mask, "attn_mask")
            mask = mask.unsqueeze(0) if isinstance(mask, Tensor) else mask[None]
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (batch * heads, length, source):
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {_size(attn_mask)}, but should be "
                    f"{(batch * heads, length, source)}."
                )
            mask = _as_additive(attn_mask, "attn_mask")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(batch, source)}, but got "
                f"{_size(key_padding_mask)}"
            )
        pad = _as_additive(key_padding_mask, "key_padding_mask")
        if isinstance(pad, Tensor):
            pad = pad.reshape(batch, 1, 1, source).expand(batch, heads, 1, source)
            pad = pad.reshape(batch * heads, 1, source)
        else:
            pad = np.broadcast_to(pad[:, None, None, :], (batch, heads, 1, source))
            pad = pad.reshape(batch * heads, 1, source)
        mask = pad if mask is None else mask + pad
    return mask


def _as_additive(mask: Tensor, name: str) -> Any:
    """A multi-head attention mask as an additive array (bool True = masked out), or the mask
    itself when it is a float tensor that requires grad."""
    if mask.requires_grad and mask.is_floating_point():
        return mask
    if mask._data.dtype != np.bool_ and mask._data.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return _mask_array(mask, name, allowed_when_true=False)


def _pad_last(mask: Any, value: float) -> Any:
    """One more key position (a bias_k/bias_v or zero-attention column) that is never masked."""
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return ops.pad(mask, (0, 1), value=value)
    return np.concatenate([mask, np.full((*mask.shape[:-1], 1), value, mask.dtype)], -1)


def _size(t: Tensor) -> tuple:
    return tuple(t.shape)
