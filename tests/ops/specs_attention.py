"""Op specs: the attention softmax (see harness.py), through scaled_dot_product_attention and on
its own, with bool, float and causal masks; the reference is softmax(Q K^T / sqrt(E) + mask) V."""

from __future__ import annotations

import numpy as np

import ember
from ember.nn import functional as F  # noqa: N812
from ember.ops.attention import attention_softmax

from .harness import OpSpec

MASK = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])


def ref_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref_attention(q, k, v, bias=0.0, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    return ref_softmax(q @ np.swapaxes(k, -1, -2) * scale + bias) @ v


def _additive(mask):
    return np.where(mask, 0.0, -np.inf)


CASES = [
    ((3, 2), (4, 2), (4, 3)),
    ((2, 3, 2), (2, 4, 2), (2, 4, 1)),
    ((1, 3, 2), (2, 1, 4, 2), (4, 2)),
]
CAUSAL = np.tri(3, 4, dtype=bool)

SPECS = [
    OpSpec("sdpa", lambda q, k, v: F.scaled_dot_product_attention(q, k, v), ref_attention, CASES),
    OpSpec(
        "sdpa_bool_mask",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, ember.tensor(MASK)),
        lambda q, k, v: ref_attention(q, k, v, _additive(MASK)),
        CASES,
    ),
    OpSpec(
        "sdpa_causal_scale",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
        lambda q, k, v: ref_attention(q, k, v, _additive(CAUSAL), 0.7),
        CASES,
    ),
    OpSpec(
        "sdpa_float_mask_with_grad",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, m),
        lambda q, k, v, m: ref_attention(q, k, v, m),
        [((3, 2), (4, 2), (4, 3), (3, 4)), ((2, 3, 2), (2, 4, 2), (2, 4, 1), (1, 4))],
    ),
    OpSpec(
        "attention_softmax_unsafe_bias",
        lambda x: attention_softmax(x, np.where(MASK, 0.5, -1.0), safe=False),
        lambda x: ref_softmax(x + np.where(MASK, 0.5, -1.0)),
        [((3, 4),), ((2, 3, 4),), ((1, 4),)],
    ),
]
