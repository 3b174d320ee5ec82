"""``ember demo loss-landscape``."""

import numpy as np
import pytest

import ember
from ember.experiments import loss_landscape as ll


@pytest.mark.slow
def test_quick_run_interpolates_between_the_trained_solutions(run_quick, has_matplotlib):
    result, out, printed = run_quick("loss-landscape")
    alphas = np.array(result["alphas"])
    assert alphas[0] == -0.25 and alphas[-1] == 1.25 and 0 in alphas and 1 in alphas
    finals = [r["final_loss"] for r in result["restarts"]]
    assert len(finals) == ll.QUICK["restarts"]
    pairs = result["paths"]
    assert len(pairs) == 3 + 1  # every pair of restarts and the permuted copy
    for p in pairs[:-1]:
        losses = np.array(p["losses"])
        assert losses[alphas == 0][0] == pytest.approx(finals[p["from"]], rel=1e-6)
        assert losses[alphas == 1][0] == pytest.approx(finals[p["to"]], rel=1e-6)
        assert p["peak_loss"] >= max(losses[alphas == 0][0], losses[alphas == 1][0])
        assert p["barrier"] >= 0
    permuted = np.array(pairs[-1]["losses"])
    assert permuted[alphas == 1][0] == pytest.approx(finals[0], rel=1e-5)
    assert result["saddle"]["gradient_at_0"] == [0.0, 0.0]
    assert result["saddle"]["hessian_eigenvalues"] == pytest.approx([-1.0, 1.0])
    assert "all 3 pairs of restarts" in printed
    for name in ("loss_landscape.png", "saddle.png"):
        assert (out / name).exists() == has_matplotlib
    assert (out / "interpolation.csv").read_text().startswith("from,to,alpha,loss")


def test_permuting_hidden_units_keeps_the_function():
    ember.manual_seed(0)
    net = ll.network(5)
    copy = ll.permute_hidden(net, np.random.default_rng(1))
    x = ember.randn(7, 2)
    with ember.no_grad():
        np.testing.assert_allclose(copy(x).numpy(), net(x).numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(copy[0].weight.detach().numpy(), net[0].weight.detach().numpy())


def test_barrier_is_the_largest_rise_above_the_chord():
    alphas = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    assert ll.barrier(alphas, np.array([9.0, 1.0, 4.0, 3.0, 9.0])) == pytest.approx(2.0)
    assert ll.barrier(alphas, np.array([9.0, 1.0, 1.5, 3.0, 9.0])) == pytest.approx(0.0)


def test_spirals_are_two_labelled_arms():
    x, y = ll.spirals(30, np.random.default_rng(0))
    assert x.shape == (60, 2) and np.bincount(y).tolist() == [30, 30]
    assert np.abs(x).max() < 1.2
