"""``ember demo universal-approximation``."""

import argparse
import csv
import sys

import numpy as np
import pytest

from ember.experiments import universal_approximation as ua


@pytest.mark.slow
def test_quick_run_writes_its_files_and_more_units_fit_better(run_quick, has_matplotlib):
    result, out, printed = run_quick("universal-approximation")
    rows = result["results"]
    assert [r["units"] for r in rows] == ua.QUICK["units"]
    assert rows[-1]["sup_error"] < rows[0]["sup_error"]
    assert all(r["rms_error"] <= r["sup_error"] for r in rows)
    assert all(r["parameters"] == 3 * r["units"] + 1 for r in rows)
    with open(out / "results.csv") as f:
        table = list(csv.DictReader(f))
    assert [float(r["sup_error"]) for r in table] == pytest.approx([r["sup_error"] for r in rows])
    assert "sup |h-g|" in printed
    assert (out / "universal_approximation.png").exists() == has_matplotlib


@pytest.mark.slow
def test_the_function_and_interval_given_are_used(run_quick):
    args = ["--function", "x**2", "--interval", "0", "2", "--units", "2", "--steps", "5"]
    result, _, _ = run_quick("universal-approximation", *args)
    assert result["function"] == "x**2" and result["interval"] == [0.0, 2.0]
    assert 0.0 <= result["results"][0]["at_x"] <= 2.0
    assert result["settings"]["steps"] == 5 and result["settings"]["points"] == 64


def test_sigmoid_network_spreads_its_steps_over_the_input_range():
    net = ua.sigmoid_network(500)
    w, b = net[0].weight.detach().numpy()[:, 0], net[0].bias.detach().numpy()
    centres = -b / w
    assert np.abs(w).max() <= ua.SLOPE and np.abs(centres).max() <= 1 + 1e-5
    assert centres.min() < -0.8 and centres.max() > 0.8


def test_bad_arguments_are_refused(capsys):
    parser = argparse.ArgumentParser()
    ua.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--function", "__import__('os')"])
    assert "not an allowed function" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["--units", "4,0"])
    with pytest.raises(SystemExit, match="A < B"):
        ua.run(parser.parse_args(["--interval", "1", "1", "--quick"]))
    with pytest.raises(SystemExit, match="not finite at x = -3"):
        ua.run(parser.parse_args(["--function", "log(x)", "--quick"]))


def test_without_matplotlib_the_plot_is_skipped_with_a_notice(run_quick, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    _, out, printed = run_quick("universal-approximation", "--units", "2", "--steps", "5")
    assert "matplotlib is not installed" in printed
    assert not (out / "universal_approximation.png").exists()
    assert (out / "results.csv").exists()
