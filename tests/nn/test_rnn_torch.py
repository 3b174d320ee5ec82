"""RNN, LSTM, GRU and their cells against torch in float64: outputs, final states and every
gradient for each combination of options, with the weights copied across by state_dict."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")

IN, HID, T, B = 3, 4, 5, 2
LAYERS = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def to_ember(t):
    return ember.tensor(t.detach().numpy(), dtype=ember.float64)


def pair(mode, **options):
    """A torch layer and an ember layer with the torch layer's weights."""
    kind = LAYERS[mode]
    if mode == "RNN_RELU":
        options["nonlinearity"] = "relu"
    tm = getattr(torch.nn, kind)(IN, HID, dtype=torch.float64, **options)
    em = getattr(nn, kind)(IN, HID, dtype=ember.float64, **options)
    em.load_state_dict({k: to_ember(v) for k, v in tm.state_dict().items()})
    return tm, em


def leaves(rng, *shapes):
    arrays = [rng.standard_normal(s) for s in shapes]
    return (
        [torch.tensor(a, requires_grad=True) for a in arrays],
        [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays],
    )


def loss_of(out, hidden):
    """A loss that weighs every output and state differently (so that no gradient is hidden)."""
    states = hidden if isinstance(hidden, tuple) else (hidden,)
    total = (out * out).sum()
    for k, s in enumerate(states):
        total = total + (s * (k + 2)).sin().sum()
    return total


def assert_close(a, e, what):
    np.testing.assert_allclose(e.detach().numpy(), a.detach().numpy(), atol=1e-10, err_msg=what)


def compare(tm, em, t_args, e_args, t_leaves, e_leaves, what):
    t_out, t_hidden = tm(*t_args)
    e_out, e_hidden = em(*e_args)
    t_out = t_out.data if hasattr(t_out, "batch_sizes") else t_out
    e_out = e_out.data if hasattr(e_out, "batch_sizes") else e_out
    assert tuple(e_out.shape) == tuple(t_out.shape), what
    assert_close(t_out, e_out, what)
    t_states = t_hidden if isinstance(t_hidden, tuple) else (t_hidden,)
    e_states = e_hidden if isinstance(e_hidden, tuple) else (e_hidden,)
    for ts, es in zip(t_states, e_states, strict=True):
        assert tuple(es.shape) == tuple(ts.shape), what
        assert_close(ts, es, what)
    loss_of(t_out, t_hidden).backward()
    loss_of(e_out, e_hidden).backward()
    for a, e in zip(t_leaves, e_leaves, strict=True):
        assert_close(a.grad, e.grad, what + " (input grad)")
    for (name, p), (ename, q) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert name == ename
        assert_close(p.grad, q.grad, f"{what} grad of {name}")


# A two-level orthogonal array: any two of its columns take all four value pairs across its 8
# rows, so these runs cover every pair of options; the rest of the full product is marked slow.
PAIRWISE = [
    (0, 0, 0, 0, 0, 0),
    (0, 0, 0, 1, 1, 1),
    (0, 1, 1, 0, 0, 1),
    (0, 1, 1, 1, 1, 0),
    (1, 0, 1, 0, 1, 0),
    (1, 0, 1, 1, 0, 1),
    (1, 1, 0, 0, 1, 1),
    (1, 1, 0, 1, 0, 0),
]


def combinations():
    """(mode, layers, bidirectional, batch_first, bias, h0 given, proj_size), pairwise first."""
    out = []
    for mode in LAYERS:
        projs = (0, 2) if mode == "LSTM" else (0,)
        fast = {
            (1 + a, bool(b), bool(c), bool(d), bool(e), projs[f % len(projs)])
            for a, b, c, d, e, f in PAIRWISE
        }
        flags = (False, True)
        for combo in itertools.product((1, 2), flags, flags, flags, flags, projs):
            marks = [] if combo in fast else [pytest.mark.slow]
            out.append(pytest.param(mode, *combo, marks=marks))
    return out


@pytest.mark.parametrize(
    ("mode", "layers", "bidirectional", "batch_first", "bias", "given", "proj"), combinations()
)
def test_layers_match_torch_for_every_option(
    mode, layers, bidirectional, batch_first, bias, given, proj
):
    rng = np.random.default_rng(0)
    options = dict(
        num_layers=layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        bias=bias,
        dropout=0.3 if layers == 2 else 0.0,
    )
    if proj:
        options["proj_size"] = proj
    tm, em = pair(mode, **options)
    tm.eval(), em.eval()  # dropout between layers is off in eval mode
    what = f"{mode} {options} h0 given={given}"
    shape = (B, T, IN) if batch_first else (T, B, IN)
    states = layers * (2 if bidirectional else 1)
    shapes = [shape]
    if given:
        shapes.append((states, B, proj or HID))
        if mode == "LSTM":
            shapes.append((states, B, HID))
    t_leaves, e_leaves = leaves(rng, *shapes)
    t_args, e_args = [t_leaves[0]], [e_leaves[0]]
    if given:
        t_args.append(tuple(t_leaves[1:]) if mode == "LSTM" else t_leaves[1])
        e_args.append(tuple(e_leaves[1:]) if mode == "LSTM" else e_leaves[1])
    compare(tm, em, t_args, e_args, t_leaves, e_leaves, what)


@pytest.mark.parametrize("mode", list(LAYERS))
def test_unbatched_input(mode):
    tm, em = pair(mode, num_layers=2, bidirectional=True)
    shapes = [(T, IN), (4, HID)] + [(4, HID)] * (mode == "LSTM")
    t_leaves, e_leaves = leaves(np.random.default_rng(1), *shapes)
    t_state = tuple(t_leaves[1:]) if mode == "LSTM" else t_leaves[1]
    e_state = tuple(e_leaves[1:]) if mode == "LSTM" else e_leaves[1]
    compare(tm, em, [t_leaves[0], t_state], [e_leaves[0], e_state], t_leaves, e_leaves, mode)


@pytest.mark.parametrize("mode", list(LAYERS))
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences(mode, enforce_sorted):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    proj = {"proj_size": 2} if mode == "LSTM" else {}
    tm, em = pair(mode, num_layers=2, bidirectional=True, **proj)
    size = 2 if mode == "LSTM" else HID
    shapes = [(5, 4, IN), (4, 4, size)] + [(4, 4, HID)] * (mode == "LSTM")
    t_leaves, e_leaves = leaves(np.random.default_rng(2), *shapes)
    t_packed = torch.nn.utils.rnn.pack_padded_sequence(
        t_leaves[0], lengths, enforce_sorted=enforce_sorted
    )
    e_packed = nn.utils.rnn.pack_padded_sequence(
        e_leaves[0], lengths, enforce_sorted=enforce_sorted
    )
    t_state = tuple(t_leaves[1:]) if mode == "LSTM" else t_leaves[1]
    e_state = tuple(e_leaves[1:]) if mode == "LSTM" else e_leaves[1]
    compare(tm, em, [t_packed, t_state], [e_packed, e_state], t_leaves, e_leaves, mode)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("RNNCell", {"bias": False}),
        ("LSTMCell", {}),
        ("LSTMCell", {"bias": False}),
        ("GRUCell", {}),
        ("GRUCell", {"bias": False}),
    ],
)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("given", [True, False])
def test_cells_match_torch(kind, options, batched, given):
    tm = getattr(torch.nn, kind)(IN, HID, dtype=torch.float64, **options)
    em = getattr(nn, kind)(IN, HID, dtype=ember.float64, **options)
    em.load_state_dict({k: to_ember(v) for k, v in tm.state_dict().items()})
    lead = (B,) if batched else ()
    lstm = kind == "LSTMCell"
    shapes = [(*lead, IN)] + ([(*lead, HID)] * (2 if lstm else 1) if given else [])
    t_leaves, e_leaves = leaves(np.random.default_rng(3), *shapes)
    t_args, e_args = [t_leaves[0]], [e_leaves[0]]
    if given:
        t_args.append(tuple(t_leaves[1:]) if lstm else t_leaves[1])
        e_args.append(tuple(e_leaves[1:]) if lstm else e_leaves[1])
    t_res, e_res = tm(*t_args), em(*e_args)
    t_res = t_res if lstm else (t_res,)
    e_res = e_res if lstm else (e_res,)
    for a, e in zip(t_res, e_res, strict=True):
        assert tuple(e.shape) == tuple(a.shape)
        assert_close(a, e, kind)
    sum(((r * (k + 1)).sin().sum() for k, r in enumerate(t_res))).backward()
    sum(((r * (k + 1)).sin().sum() for k, r in enumerate(e_res))).backward()
    for a, e in zip(t_leaves, e_leaves, strict=True):
        assert_close(a.grad, e.grad, kind)
    for (name, p), (_, q) in zip(tm.named_parameters(), em.named_parameters(), strict=True):
        assert_close(p.grad, q.grad, f"{kind} {name}")


@pytest.mark.parametrize("mode", list(LAYERS))
def test_state_dict_moves_both_ways(mode):
    proj = {"proj_size": 2} if mode == "LSTM" else {}
    tm, em = pair(mode, num_layers=2, bidirectional=True, **proj)
    em.reset_parameters()
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in em.state_dict().items()})
    assert list(tm.state_dict()) == list(em.state_dict())
    x = np.random.default_rng(4).standard_normal((T, B, IN))
    out_t = tm(torch.tensor(x))[0].detach().numpy()
    out_e = em(ember.tensor(x, dtype=ember.float64))[0].detach().numpy()
    np.testing.assert_allclose(out_e, out_t, atol=1e-12)
    assert repr(em) == repr(tm)
