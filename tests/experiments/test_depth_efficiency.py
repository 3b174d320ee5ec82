"""``ember demo depth-efficiency``."""

import numpy as np
import pytest

import ember
from ember.experiments import depth_efficiency as de


@pytest.mark.parametrize("k", [1, 2, 5, 8])
def test_the_deep_construction_is_the_sawtooth_exactly(k):
    net = de.sawtooth_network(k)
    x = np.linspace(0.0, 1.0, 2**k * 8 + 1)
    with ember.no_grad():
        h = net(ember.tensor(2 * x[:, None] - 1)).numpy()[:, 0]
    np.testing.assert_allclose(h, de.tent(x, k), atol=1e-5)
    assert de.parameter_count(net) == de.exact_sizes(k)[0] == 6 * k + 1
    # every layer adds one composition: 2^j pieces after layer j
    for j, values in enumerate(de.layer_outputs(net, ember.tensor(2 * x[:, None] - 1)), 1):
        np.testing.assert_allclose(values, de.tent(x, j), atol=1e-5)


def test_tent_has_2_to_the_k_pieces():
    x = np.linspace(0.0, 1.0, 4097)
    slopes = np.sign(np.diff(de.tent(x, 5)))
    assert np.count_nonzero(np.diff(slopes)) + 1 == 32


@pytest.mark.slow
def test_quick_run_writes_its_files_and_the_exact_network_has_no_error(run_quick, has_matplotlib):
    result, out, printed = run_quick("depth-efficiency")
    k = de.QUICK["k"]
    exact, *trained = result["results"]
    assert exact["network"] == "deep, exact construction" and exact["parameters"] == 6 * k + 1
    assert exact["rms_error"] < 1e-6 and exact["sup_error"] < 1e-5
    assert [r["width"] for r in trained] == de.QUICK["shallow_widths"] + de.QUICK["deep_widths"]
    assert all(r["rms_error"] > 1e-3 for r in trained)  # 150 steps find nothing exact
    assert result["exact_shallow_parameters_at_least"] == 3 * (2**k - 1) + 1
    assert (out / "results.csv").read_text().startswith("network,depth,width,parameters")
    assert "one hidden layer needs at least" in printed
    assert (out / "depth_efficiency.png").exists() == has_matplotlib
