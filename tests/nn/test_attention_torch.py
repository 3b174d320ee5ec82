"""Attention and Transformer layers against torch in float64: outputs and every gradient for each
combination of masks and options, with the weights copied across by state_dict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn import functional as F  # noqa: N812

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(array, grad=True):
    return (
        torch.tensor(array, requires_grad=grad),
        ember.tensor(array, dtype=ember.float64, requires_grad=grad),
    )


def close(t, e, what):
    assert tuple(e.shape) == tuple(t.shape), what
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=1e-10, err_msg=what)


def backward_both(t_out, e_out, rng):
    w = rng.standard_normal(tuple(t_out.shape))
    (t_out * torch.tensor(w)).nansum().backward()
    (e_out * ember.tensor(w, dtype=ember.float64)).sum().backward()


def masks(rng, shape, kinds):
    """(torch mask, ember mask) of each kind; bool masks keep at least one True per row."""
    for kind in kinds:
        if kind is None:
            yield kind, None, None
        elif kind == "bool":
            m = rng.random(shape) > 0.4
            m[..., 0] = True
            yield kind, torch.tensor(m), ember.tensor(m)
        elif kind == "float":
            m = rng.standard_normal(shape)
            yield kind, torch.tensor(m), ember.tensor(m, dtype=ember.float64)
        else:  # a float mask that takes a gradient
            t, e = both(rng.standard_normal(shape))
            yield kind, t, e


def test_scaled_dot_product_attention_every_option():
    rng = np.random.default_rng(0)
    for (L, S), causal, scale, kind in itertools.product(
        [(3, 5), (4, 4)], [False, True], [None, 0.3], [None, "bool", "float", "grad"]
    ):
        if causal and kind is not None:
            continue  # an error in both (below)
        for _, tm, em in masks(rng, (L, S), [kind]):
            arrays = [rng.standard_normal(s) for s in [(2, 3, L, 4), (2, 3, S, 4), (2, 3, S, 5)]]
            t_in, e_in = zip(*(both(a) for a in arrays))
            what = f"L={L} S={S} causal={causal} scale={scale} mask={kind}"
            t_out = TF.scaled_dot_product_attention(*t_in, tm, is_causal=causal, scale=scale)
            e_out = F.scaled_dot_product_attention(*e_in, em, is_causal=causal, scale=scale)
            close(t_out, e_out, what)
            backward_both(t_out, e_out, rng)
            for a, b in zip(t_in, e_in, strict=True):
                close(a.grad, b.grad, what)
            if kind == "grad":
                close(tm.grad, em.grad, what + " mask grad")


def test_sdpa_causal_with_mask_is_an_error():
    q = ember.zeros(1, 3, 4)
    with pytest.raises(RuntimeError, match="should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, ember.ones(3, 3, dtype=ember.bool), is_causal=True)


def test_sdpa_empty_rows_give_zero_and_gqa_broadcast():
    rng = np.random.default_rng(1)
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    t_q, e_q = both(rng.standard_normal((2, 4, 3, 4)))
    t_k, e_k = both(rng.standard_normal((2, 2, 5, 4)))
    t_v, e_v = both(rng.standard_normal((2, 2, 5, 6)))
    t_out = TF.scaled_dot_product_attention(t_q, t_k, t_v, torch.tensor(mask), enable_gqa=True)
    e_out = F.scaled_dot_product_attention(e_q, e_k, e_v, ember.tensor(mask), enable_gqa=True)
    close(t_out, e_out, "gqa")
    assert not np.isnan(e_out.detach().numpy()).any()
    backward_both(t_out, e_out, rng)
    for a, b in [(t_q, e_q), (t_k, e_k), (t_v, e_v)]:
        close(a.grad, b.grad, "gqa grads")


def mha_pair(rng, **options):
    tm = torch.nn.MultiheadAttention(6, 2, dtype=torch.float64, **options)
    em = nn.MultiheadAttention(6, 2, dtype=ember.float64, **options)
    state = {}
    for k, v in tm.state_dict().items():
        v = torch.tensor(rng.standard_normal(tuple(v.shape)))  # biases are 0 at init
        state[k] = v
    tm.load_state_dict(state)
    em.load_state_dict({k: ember.tensor(v.numpy(), dtype=ember.float64) for k, v in state.items()})
    assert list(em.state_dict()) == list(tm.state_dict())
    return tm, em


def compare_modules(tm, em, t_args, e_args, t_leaves, e_leaves, rng, what, **kw):
    """Outputs and gradients of two modules called with (positional, keyword) arguments."""
    t_res = tm(*t_args[0], **t_args[1], **kw)
    e_res = em(*e_args[0], **e_args[1], **kw)
    t_res = t_res if isinstance(t_res, tuple) else (t_res,)
    e_res = e_res if isinstance(e_res, tuple) else (e_res,)
    loss_t, loss_e = 0, 0
    for t, e in zip(t_res, e_res, strict=True):
        if t is None:
            assert e is None, what
            continue
        close(t, e, what)
        w = rng.standard_normal(tuple(t.shape))
        loss_t = loss_t + (t * torch.tensor(w)).sum()
        loss_e = loss_e + (e * ember.tensor(w, dtype=ember.float64)).sum()
    loss_t.backward()
    loss_e.backward()
    for a, b in zip(t_leaves, e_leaves, strict=True):
        close(a.grad, b.grad, what + " input grad")
    for (name, p), (_, q) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        close(p.grad, q.grad, f"{what} grad of {name}")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"batch_first": True},
        {"bias": False},
        {"kdim": 3, "vdim": 5},
        {"add_bias_kv": True, "add_zero_attn": True},
    ],
)
@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_multihead_attention_every_mask(options, full):
    """Every attn_mask and key_padding_mask kind; the fast run takes one weights option per mask
    pair in turn, the slow one every (need_weights, average_attn_weights)."""
    rng = np.random.default_rng(2)
    L, S, N, H = 3, 4, 2, 2
    kinds = [None, "bool", "float"]
    pairs = itertools.product(
        list(masks(rng, (L, S), kinds)) + list(masks(rng, (N * H, L, S), ["bool", "float"])),
        list(masks(rng, (N, S), kinds)),
    )
    weights = [(True, True), (True, False), (False, True)]
    for k, ((ak, tm_attn, em_attn), (pk, tm_pad, em_pad)) in enumerate(pairs):
        for need, average in weights if full else [weights[k % 3]]:
            run_mha(
                rng, options, L, S, N, (ak, tm_attn, em_attn), (pk, tm_pad, em_pad), need, average
            )


def run_mha(rng, options, L, S, N, attn, pad, need, average):
    (ak, tm_attn, em_attn), (pk, tm_pad, em_pad) = attn, pad
    kdim, vdim = options.get("kdim", 6), options.get("vdim", 6)
    first = options.get("batch_first", False)
    tm, em = mha_pair(rng, **options)
    shapes = [(L, N, 6), (S, N, kdim), (S, N, vdim)]
    if first:
        shapes = [(n, s, d) for s, n, d in shapes]
    t_in, e_in = zip(*(both(rng.standard_normal(s)) for s in shapes))
    what = f"{options} attn={ak} pad={pk} need={need} average={average}"
    torch_masks = {"attn_mask": tm_attn, "key_padding_mask": tm_pad}
    ember_masks = {"attn_mask": em_attn, "key_padding_mask": em_pad}
    call = {"need_weights": need, "average_attn_weights": average}
    compare_modules(tm, em, (t_in, torch_masks), (e_in, ember_masks), t_in, e_in, rng, what, **call)


def test_multihead_attention_unbatched_and_causal_hint():
    rng = np.random.default_rng(3)
    tm, em = mha_pair(rng)
    t_x, e_x = both(rng.standard_normal((4, 6)))
    causal = np.triu(np.full((4, 4), -np.inf), 1)
    t_m, e_m = torch.tensor(causal), ember.tensor(causal, dtype=ember.float64)
    for need in (True, False):
        compare_modules(
            tm,
            em,
            ((t_x, t_x, t_x), {"attn_mask": t_m}),
            ((e_x, e_x, e_x), {"attn_mask": e_m}),
            [t_x],
            [e_x],
            rng,
            f"unbatched need={need}",
            need_weights=need,
            is_causal=True,
        )
        t_x.grad = None
        e_x.grad = None
        tm.zero_grad()
        em.zero_grad()
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        em(e_x, e_x, e_x, is_causal=True)


def encoder_pair(rng, layers, **options):
    t_layer = torch.nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, dtype=torch.float64, **options)
    e_layer = nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, dtype=ember.float64, **options)
    tm = torch.nn.TransformerEncoder(
        t_layer, layers, norm=torch.nn.LayerNorm(6, dtype=torch.float64), enable_nested_tensor=False
    )
    em = nn.TransformerEncoder(e_layer, layers, norm=nn.LayerNorm(6, dtype=ember.float64))
    state = {
        k: torch.tensor(rng.standard_normal(tuple(v.shape))) for k, v in tm.state_dict().items()
    }
    tm.load_state_dict(state)
    em.load_state_dict({k: ember.tensor(v.numpy(), dtype=ember.float64) for k, v in state.items()})
    return tm, em


# Rows of a two-level orthogonal array over (batch_first, bias, causal mask, padding mask): any
# two columns take all four value pairs across the rows.
ROWS = [
    (0, 0, 0, 0),
    (0, 0, 1, 1),
    (0, 1, 0, 1),
    (0, 1, 1, 0),
    (1, 0, 0, 1),
    (1, 0, 1, 0),
    (1, 1, 0, 0),
    (1, 1, 1, 1),
]


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_transformer_encoder_every_option(norm_first, activation, full):
    """The fast run takes two rows of ROWS per (norm_first, activation), all rows over the six;
    the slow run every combination."""
    rng = np.random.default_rng(4)
    S, N = 4, 2
    causal = np.triu(np.full((S, S), -np.inf), 1)
    pad = np.zeros((N, S), dtype=bool)
    pad[1, -1] = True
    k = 2 * (["relu", "gelu", "callable"].index(activation) + 3 * norm_first)
    rows = itertools.product((0, 1), repeat=4) if full else [ROWS[k % 8], ROWS[(k + 1) % 8]]
    for batch_first, bias, causal_mask, padded in rows:
        mask = "causal" if causal_mask else None
        batch_first, bias = bool(batch_first), bool(bias)
        options = {"norm_first": norm_first, "batch_first": batch_first, "bias": bias}
        act = {"relu": "relu", "gelu": "gelu"}.get(activation)
        t_options = dict(options, activation=act or (lambda x: TF.gelu(x, approximate="tanh")))
        e_options = dict(options, activation=act or (lambda x: F.gelu(x, approximate="tanh")))
        tm = encoder_pair(rng, 2, **t_options)[0]
        em = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(6, 2, 8, dropout=0.0, dtype=ember.float64, **e_options),
            2,
            norm=nn.LayerNorm(6, dtype=ember.float64),
        )
        em.load_state_dict(
            {
                k: ember.tensor(v.detach().numpy(), dtype=ember.float64)
                for k, v in tm.state_dict().items()
            }
        )
        t_x, e_x = both(rng.standard_normal((N, S, 6) if batch_first else (S, N, 6)))
        t_kw, e_kw = {}, {}
        if mask:
            t_kw["mask"], e_kw["mask"] = (
                torch.tensor(causal),
                ember.tensor(causal, dtype=ember.float64),
            )
        if padded:
            t_kw["src_key_padding_mask"] = torch.tensor(pad)
            e_kw["src_key_padding_mask"] = ember.tensor(pad)
        what = f"{activation} {options} mask={mask} padded={padded}"
        compare_modules(tm, em, ((t_x,), t_kw), ((e_x,), e_kw), [t_x], [e_x], rng, what)


def test_transformer_encoder_decoder_matches_torch():
    rng = np.random.default_rng(5)
    kw = dict(
        d_model=6,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=8,
        dropout=0.0,
    )
    tm = torch.nn.Transformer(**kw, dtype=torch.float64)
    em = nn.Transformer(**kw, dtype=ember.float64)
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict(
        {k: ember.tensor(v.numpy(), dtype=ember.float64) for k, v in tm.state_dict().items()}
    )
    t_src, e_src = both(rng.standard_normal((5, 2, 6)))
    t_tgt, e_tgt = both(rng.standard_normal((4, 2, 6)))
    t_mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    e_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    close(t_mask, e_mask, "square subsequent mask")
    compare_modules(
        tm,
        em,
        ((t_src, t_tgt), {"tgt_mask": t_mask}),
        ((e_src, e_tgt), {"tgt_mask": e_mask}),
        [t_src, t_tgt],
        [e_src, e_tgt],
        rng,
        "transformer",
    )


def test_static_keys_and_values_match_torch():
    rng = np.random.default_rng(6)
    tm, em = mha_pair(rng)
    t_q, e_q = both(rng.standard_normal((3, 2, 6)))
    t_k, e_k = both(rng.standard_normal((5, 4, 3)))
    t_v, e_v = both(rng.standard_normal((5, 4, 3)))
    pad = np.zeros((2, 5), dtype=bool)
    pad[0, -2:] = True
    t_out = TF.multi_head_attention_forward(
        t_q,
        t_q,
        t_q,
        6,
        2,
        tm.in_proj_weight,
        tm.in_proj_bias,
        None,
        None,
        False,
        0.0,
        tm.out_proj.weight,
        tm.out_proj.bias,
        key_padding_mask=torch.tensor(pad),
        static_k=t_k.transpose(0, 1),
        static_v=t_v.transpose(0, 1),
    )
    e_out = F.multi_head_attention_forward(
        e_q,
        e_q,
        e_q,
        6,
        2,
        em.in_proj_weight,
        em.in_proj_bias,
        None,
        None,
        False,
        0.0,
        em.out_proj.weight,
        em.out_proj.bias,
        key_padding_mask=ember.tensor(pad),
        static_k=e_k.transpose(0, 1),
        static_v=e_v.transpose(0, 1),
    )
    for a, b in zip(t_out, e_out, strict=True):
        close(a, b, "static_k/static_v")
    backward_both(t_out[0], e_out[0], rng)
    for a, b in [(t_q, e_q), (t_k, e_k), (t_v, e_v)]:
        close(a.grad, b.grad, "static grads")
