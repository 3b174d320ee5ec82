"""Autoencoder layers: tied weights share storage, losses, corruption, training lowers the error."""

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.pretrain import AutoencoderLayer, AutoencoderTrainer, corrupt


def _patterns(n=200, d=16, seed=0):
    """Binary-ish data on a few prototypes: easy to compress into 4 codes."""
    rng = np.random.default_rng(seed)
    prototypes = rng.integers(0, 2, (4, d))
    rows = prototypes[rng.integers(0, 4, n)] * 0.8 + rng.uniform(0, 0.2, (n, d))
    return ember.tensor(rows)


def test_tied_decoder_is_the_encoder_weight_transposed_in_the_same_storage():
    layer = nn.Linear(6, 3)
    ae = AutoencoderLayer(layer, tied=True)
    assert ae.decoder_weight.shape == (6, 3)
    assert np.shares_memory(ae.decoder_weight._data, layer.weight._data)
    names = sorted(name for name, _ in ae.named_parameters())
    assert names == ["decoder_bias", "encoder.bias", "encoder.weight"]  # W once, used twice
    opt = optim.SGD(ae.parameters(), lr=0.5)
    x = ember.rand(5, 6)
    ae.reconstruction_loss(x).backward()
    opt.step()
    np.testing.assert_array_equal(ae.decoder_weight._data, layer.weight._data.T)


def test_tied_gradient_is_the_sum_of_encoder_and_decoder_uses():
    layer = nn.Linear(5, 3, dtype=ember.float64)
    x = ember.rand(4, 5, dtype=ember.float64)
    tied = AutoencoderLayer(layer, nn.Tanh(), tied=True, loss="mse")
    tied.reconstruction_loss(x).backward()
    separate = nn.Linear(5, 3, dtype=ember.float64)
    separate.load_state_dict(layer.state_dict())
    untied = AutoencoderLayer(separate, nn.Tanh(), tied=False, loss="mse")
    with ember.no_grad():
        untied.decoder_weight.copy_(separate.weight.T)
    untied.reconstruction_loss(x).backward()
    np.testing.assert_allclose(
        layer.weight.grad._data,
        separate.weight.grad._data + untied.decoder_weight.grad._data.T,
        rtol=1e-12,
    )


def test_untied_decoder_has_its_own_weight():
    layer = nn.Linear(6, 3)
    ae = AutoencoderLayer(layer, tied=False, generator=ember.Generator().manual_seed(0))
    assert isinstance(ae.decoder_weight, nn.Parameter) and ae.decoder_weight.shape == (6, 3)
    assert not np.shares_memory(ae.decoder_weight._data, layer.weight._data)
    assert len(list(ae.parameters())) == 4
    assert np.all(ae.decoder_bias._data == 0)


def test_losses_are_per_sample_sums_averaged_over_the_batch():
    layer = nn.Linear(4, 2)
    x = ember.rand(3, 4)
    ce = AutoencoderLayer(layer, tied=True, loss="cross-entropy")
    logits = ce.decode_logits(ce.encode(x))
    p = 1 / (1 + np.exp(-logits._data.astype(np.float64)))
    expected = -(x._data * np.log(p) + (1 - x._data) * np.log(1 - p)).sum(1).mean()
    np.testing.assert_allclose(ce.reconstruction_loss(x).item(), expected, rtol=1e-5)
    np.testing.assert_allclose(ce(x)._data, p, rtol=1e-5)
    mse = AutoencoderLayer(layer, tied=True, loss="mse")
    expected = ((mse(x)._data - x._data) ** 2).sum(1).mean()
    np.testing.assert_allclose(mse.reconstruction_loss(x).item(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown loss"):
        AutoencoderLayer(layer, loss="l1")


def test_extreme_logits_give_a_finite_cross_entropy():
    layer = nn.Linear(2, 2)
    with ember.no_grad():
        layer.weight.fill_(1e4)
    ae = AutoencoderLayer(layer, tied=True)
    loss = ae.reconstruction_loss(ember.tensor([[0.0, 1.0]]))
    assert np.isfinite(loss.item())


def test_masking_noise_zeroes_the_requested_fraction():
    x = ember.ones(400, 500)
    noisy = corrupt(x, 0.3, "mask", ember.Generator().manual_seed(0))
    zeroed = (noisy._data == 0).mean()
    assert abs(zeroed - 0.3) < 0.005
    assert set(np.unique(noisy._data)) == {0.0, 1.0} and noisy.dtype == ember.float32
    again = corrupt(x, 0.3, "mask", ember.Generator().manual_seed(0))
    np.testing.assert_array_equal(noisy._data, again._data)
    assert corrupt(x, 0.0) is x
    assert np.all(x._data == 1)  # the input is left alone


def test_gaussian_noise_has_the_requested_std():
    x = ember.zeros(300, 400)
    noisy = corrupt(x, 0.5, "gaussian", ember.Generator().manual_seed(0))
    assert abs(noisy._data.std() - 0.5) < 0.005 and abs(noisy._data.mean()) < 0.005
    with pytest.raises(ValueError, match="out of range"):
        corrupt(x, 1.5, "mask")
    with pytest.raises(ValueError, match="unknown noise"):
        corrupt(x, 0.1, "salt")


def test_denoising_step_scores_the_corrupted_input_against_the_clean_one():
    ae = AutoencoderLayer(nn.Linear(16, 4), tied=True)
    x = _patterns()[:50]
    gen = ember.Generator().manual_seed(5)
    replay = ember.Generator()
    replay.set_state(gen.get_state())
    trainer = AutoencoderTrainer(ae, optim.SGD(ae.parameters(), lr=0.0), 0.5, "mask", gen)
    with ember.no_grad():
        expected = ae.reconstruction_loss(corrupt(x, 0.5, "mask", replay), x).item()
        clean = ae.reconstruction_loss(x).item()
    assert trainer.step(x) == pytest.approx(expected, rel=1e-6)
    assert expected != pytest.approx(clean, rel=1e-3)


@pytest.mark.parametrize(
    ("tied", "loss", "corruption"),
    [(True, "cross-entropy", 0.0), (False, "mse", 0.0), (True, "cross-entropy", 0.3)],
)
def test_training_lowers_the_reconstruction_error(tied, loss, corruption):
    x = _patterns()
    ae = AutoencoderLayer(nn.Linear(16, 4), tied=tied, loss=loss)
    trainer = AutoencoderTrainer(ae, optim.Adam(ae.parameters(), lr=0.02), corruption)
    with ember.no_grad():
        before = ((ae(x) - x) ** 2).mean().item()
    for _ in range(150):
        trainer.step(x)
    with ember.no_grad():
        after = ((ae(x) - x) ** 2).mean().item()
    assert after < 0.5 * before
