"""nn.utils.rnn against torch: padding, packing and unpacking, values and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
from ember.nn.utils import rnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

LENGTHS = [(4, 2, 2, 1), (2, 4, 1, 2)]


def sequences(lengths, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, 3)) for n in lengths]
    return (
        [torch.tensor(a, requires_grad=True) for a in arrays],
        [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays],
    )


def check(t, e):
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def check_grads(ts, es, t_out, e_out):
    w = np.arange(t_out.numel(), dtype=np.float64).reshape(tuple(t_out.shape))
    (t_out * torch.tensor(w)).sum().backward()
    (e_out * ember.tensor(w, dtype=ember.float64)).sum().backward()
    for a, b in zip(ts, es, strict=True):
        np.testing.assert_array_equal(b.grad.numpy(), a.grad.numpy())


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(lengths, batch_first, side):
    ts, es = sequences(lengths)
    t = trnn.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5, padding_side=side)
    e = rnn.pad_sequence(es, batch_first=batch_first, padding_value=-1.5, padding_side=side)
    check(t, e)
    check_grads(ts, es, t, e)


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_round_trip(lengths, batch_first):
    ts, es = sequences(lengths)
    sorted_ = list(lengths) == sorted(lengths, reverse=True)
    t_pad = trnn.pad_sequence(ts, batch_first=batch_first)
    e_pad = rnn.pad_sequence(es, batch_first=batch_first)
    tp = trnn.pack_padded_sequence(t_pad, list(lengths), batch_first, enforce_sorted=sorted_)
    ep = rnn.pack_padded_sequence(e_pad, list(lengths), batch_first, enforce_sorted=sorted_)
    check(tp.data, ep.data)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    if sorted_:
        assert ep.sorted_indices is None and ep.unsorted_indices is None
    else:
        assert ep.sorted_indices.tolist() == tp.sorted_indices.tolist()
        assert ep.unsorted_indices.tolist() == tp.unsorted_indices.tolist()
    t_back, t_len = trnn.pad_packed_sequence(tp, batch_first, padding_value=2.0, total_length=6)
    e_back, e_len = rnn.pad_packed_sequence(ep, batch_first, padding_value=2.0, total_length=6)
    check(t_back, e_back)
    assert e_len.tolist() == t_len.tolist()
    check_grads(ts, es, t_back, e_back)


def test_pack_sequence_unpack_and_errors():
    ts, es = sequences((2, 4, 1), seed=1)
    tp = trnn.pack_sequence(ts, enforce_sorted=False)
    ep = rnn.pack_sequence(es, enforce_sorted=False)
    check(tp.data, ep.data)
    for a, b in zip(trnn.unpack_sequence(tp), rnn.unpack_sequence(ep), strict=True):
        check(a, b)
    assert ep.to(ember.float32).data.dtype == ember.float32
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn.pack_sequence(es)
    with pytest.raises(ValueError, match="total_length"):
        rnn.pad_packed_sequence(ep, total_length=2)
    with pytest.raises(RuntimeError, match="padding_side"):
        rnn.pad_sequence(es, padding_side="middle")


def test_trunc_normal_is_torchs_algorithm_on_the_same_uniform_draws():
    t = ember.empty(2000, dtype=ember.float64)
    ember.nn.init.trunc_normal_(
        t, mean=0.5, std=2.0, a=-1.0, b=3.0, generator=ember.Generator().manual_seed(3)
    )
    u = ember.empty(2000, dtype=ember.float64)
    low, high = [(1 + math.erf((x - 0.5) / 2.0 / 2**0.5)) / 2 for x in (-1.0, 3.0)]
    u.uniform_(float(2 * low - 1), float(2 * high - 1), generator=ember.Generator().manual_seed(3))
    expected = (torch.erfinv(torch.tensor(u.numpy())) * 2.0 * 2**0.5 + 0.5).clamp(-1.0, 3.0)
    np.testing.assert_allclose(t.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    assert t.numpy().min() >= -1.0 and t.numpy().max() <= 3.0
    with pytest.warns(UserWarning, match="more than 2 std"):
        ember.nn.init.trunc_normal_(ember.empty(3), mean=10.0)


def test_clip_grad_value_matches_torch():
    g = np.random.default_rng(7).standard_normal((3, 4))
    tp = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    ep = ember.zeros(3, 4, dtype=ember.float64, requires_grad=True)
    tp.grad, ep.grad = torch.tensor(g), ember.tensor(g, dtype=ember.float64)
    torch.nn.utils.clip_grad_value_([tp], 0.5, foreach=None)
    ember.nn.utils.clip_grad_value_([ep], 0.5, foreach=None)
    np.testing.assert_array_equal(ep.grad.numpy(), tp.grad.numpy())
