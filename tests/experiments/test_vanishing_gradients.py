"""``ember demo vanishing-gradients`` (needs the Fashion-MNIST files)."""

import numpy as np
import pytest

import ember
from ember import datasets
from ember.experiments import vanishing_gradients as vg


@pytest.fixture(scope="module")
def fashion_mnist():
    try:
        datasets.FashionMNIST(train=False)
    except FileNotFoundError as e:
        pytest.skip(f"Fashion-MNIST is not installed: {e}")


@pytest.mark.slow  # reads Fashion-MNIST and trains five networks
@pytest.mark.usefixtures("fashion_mnist")
def test_quick_run_shows_the_small_init_sigmoid_gradient_vanishing(run_quick, has_matplotlib):
    result, out, printed = run_quick("vanishing-gradients")
    runs = {r["setting"]: r for r in result["runs"]}
    assert list(runs) == [s.name for s in vg.SETTINGS]
    for r in runs.values():
        norms = np.array(r["gradient_norms"])
        assert norms.shape == (vg.QUICK["epochs"] + 1, vg.DEFAULTS["depth"] + 1)
        assert np.isfinite(norms).all() and (norms > 0).all()
        assert [c["epoch"] for c in r["curve"]] == list(range(vg.QUICK["epochs"] + 1))
    small = np.array(runs["sigmoid-small"]["gradient_norms"][0])
    assert small[0] < 1e-6 * small[-1]  # orders of magnitude, layer by layer
    assert np.all(np.diff(small[1:]) > 0)
    for name in ("tanh-xavier", "relu-kaiming"):
        norms = runs[name]["gradient_norms"][0]
        assert norms[0] > 0.01 * norms[-1]
    pretrained = runs["sigmoid-pretrained"]["gradient_norms"][0]
    assert pretrained[0] / pretrained[-1] > 100 * small[0] / small[-1]
    assert runs["sigmoid-pretrained"]["pretrain_seconds"] > 0
    table = (out / "gradient_norms.csv").read_text().splitlines()
    assert table[0] == "setting,epoch,layer,grad_norm"
    assert len(table) == 1 + len(vg.SETTINGS) * (vg.QUICK["epochs"] + 1) * 9
    assert (out / "training.csv").read_text().startswith("setting,epoch,train_loss")
    assert "first/last init" in printed
    for name in ("gradient_norms.png", "training.png"):
        assert (out / name).exists() == has_matplotlib


def test_initialisations_have_the_intended_scale():
    ember.manual_seed(0)
    for setting, std in (
        (vg.SETTINGS[0], vg.SMALL_STD),
        (vg.SETTINGS[1], np.sqrt(2 / (64 + 64))),
        (vg.SETTINGS[4], np.sqrt(2 / 64)),
    ):
        model = vg.build(setting, depth=3, width=64)
        weight = vg.linears(model)[2].weight.detach().numpy()
        assert weight.std() == pytest.approx(std, rel=0.1)
        assert not vg.linears(model)[2].bias.detach().numpy().any()


def test_gradient_norms_leave_no_gradients_behind():
    model = vg.build(vg.SETTINGS[3], depth=2, width=16)
    x, y = ember.rand(8, 784), ember.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    norms = vg.gradient_norms(model, x, y)
    assert len(norms) == 3 and min(norms) > 0
    assert all(p.grad is None for p in model.parameters())
