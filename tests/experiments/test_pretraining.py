"""``ember demo pretraining``: the quick grid writes its files with sane numbers; resuming adds
seeds; the pieces (subsets, stacks, summary, missing data) behave."""

import csv
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from ember.cli.main import main
from ember.cli.train import CommandError
from ember.datasets import FashionMNIST
from ember.experiments import pretraining as pt

HAS_PLOTS = importlib.util.find_spec("matplotlib") is not None


def _data() -> str:
    try:
        FashionMNIST(train=False)
    except FileNotFoundError:
        return "synthetic"
    return "fashion-mnist"


DATA = _data()


SYNTHETIC = "ran on the synthetic set: Fashion-MNIST is not installed (`make data` installs it)"


def _say_if_synthetic() -> None:
    """Report a test that ran on the synthetic set as skipped, saying so: its assertions held,
    but not on the data the demo is about."""
    if DATA == "synthetic":
        pytest.skip(SYNTHETIC)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("pretraining")
    code = main(
        ["demo", "pretraining", "--quick", "--data", DATA, "--out", str(out), "--no-progress"]
    )
    assert code == 0
    return out


def _runs(out):
    return [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]


def _table(out):
    with (out / "table.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_quick_grid_writes_every_cell_with_errors_in_range(quick):
    grid = pt.PRESETS["quick"]
    runs = _runs(quick)
    assert len(runs) == len(pt.METHODS) * len(grid["depths"]) * len(grid["labels"]) * 2
    assert all(0.0 <= r["test_error"] <= 1.0 and 0.0 <= r["val_error"] <= 1.0 for r in runs)
    assert all(0 < r["best_step"] <= r["steps"] == grid["steps"] for r in runs)
    cells = {(r["method"], int(r["depth"]), int(r["labels"])) for r in _table(quick)}
    assert cells == {(m, d, n) for m in pt.METHODS for d in grid["depths"] for n in grid["labels"]}
    for row in _table(quick):
        assert int(row["seeds"]) == 2
        assert 0.0 <= float(row["mean_test_error"]) <= 1.0
        assert float(row["std_test_error"]) >= 0.0
    result = json.loads((quick / "results.json").read_text())
    assert result["settings"]["seeds"] == [0, 1] and result["settings"]["width"] == 32
    assert [p["method"] for p in result["pretraining"]] == ["autoencoder", "denoising", "rbm"] * 2
    assert (quick / "error_vs_depth.png").exists() == HAS_PLOTS
    _say_if_synthetic()


@pytest.mark.slow
def test_resume_adds_only_the_missing_seed(quick):
    before = _runs(quick)
    args = ["demo", "pretraining", "--quick", "--data", DATA, "--out", str(quick)]
    assert main([*args, "--no-progress", "--resume", "--seeds", "3", "--methods", "none"]) == 0
    added = _runs(quick)[len(before) :]
    assert _runs(quick)[: len(before)] == before
    assert {(r["method"], r["seed"]) for r in added} == {("none", 2)}
    assert {int(r["seeds"]) for r in _table(quick)} == {3}
    _say_if_synthetic()


def test_summary_tabulates_without_running(quick, capsys):
    before = _runs(quick)
    args = ["demo", "pretraining", "--quick", "--data", DATA, "--out", str(quick), "--summary"]
    assert main(args) == 0
    assert _runs(quick) == before
    printed = capsys.readouterr().out
    assert "minus none" in printed and "pre-trained" not in printed and "seed 0" not in printed
    assert len(_table(quick)) == len(pt.METHODS) * len(pt.PRESETS["quick"]["depths"])
    _say_if_synthetic()


def test_resume_refuses_other_settings(quick, capsys):
    args = ["demo", "pretraining", "--quick", "--data", DATA, "--out", str(quick), "--resume"]
    assert main([*args, "--width", "16"]) == 2
    assert "other settings" in capsys.readouterr().err
    _say_if_synthetic()


def test_full_and_quick_exclude_each_other(tmp_path):
    assert main(["demo", "pretraining", "--quick", "--full", "--out", str(tmp_path)]) == 2


def _settings(**changes) -> pt.Settings:
    return pt.Settings(**{**pt.PRESETS["quick"], "preset": "test", "seeds": [0], **changes})


@pytest.mark.parametrize("method", ["autoencoder", "rbm"])
def test_shallow_stack_is_the_prefix_of_the_deep_one(method):
    images = np.random.default_rng(0).uniform(0, 1, (64, 784)).astype(np.float32)
    s = _settings(width=8)
    deep, _ = pt.pretrain_stack(method, 3, 2, images, s, progress=False)
    shallow, _ = pt.pretrain_stack(method, 3, 1, images, s, progress=False)
    assert len(deep) == 2 and len(shallow) == 1
    np.testing.assert_array_equal(deep[0][0], shallow[0][0])
    np.testing.assert_array_equal(deep[0][1], shallow[0][1])
    net = pt.build_network(3, 1, 8, deep)
    np.testing.assert_array_equal(pt.hidden_linears(net)[0].weight._data, deep[0][0])
    fresh = pt.build_network(3, 1, 8, None)
    assert not np.array_equal(fresh[1].weight._data, deep[0][0])
    np.testing.assert_array_equal(fresh[-1].weight._data, net[-1].weight._data)  # same classifier


def test_labelled_split_is_disjoint_sized_and_seeded():
    train, val = pt.labelled_split(500, 100, 0.1, seed=4)
    assert len(train) == 90 and len(val) == 10
    assert not set(train) & set(val) and max(train.max(), val.max()) < 500
    again = pt.labelled_split(500, 100, 0.1, seed=4)
    np.testing.assert_array_equal(train, again[0])
    assert not np.array_equal(train, pt.labelled_split(500, 100, 0.1, seed=5)[0])
    with pytest.raises(CommandError, match="600"):
        pt.labelled_split(500, 600, 0.1, seed=0)


def test_summary_has_std_over_seeds_and_paired_difference():
    s = _settings(methods=["none", "rbm"], depths=[2], labels=[10], seeds=[0, 1])
    errors = {("none", 0): 0.5, ("none", 1): 0.3, ("rbm", 0): 0.2, ("rbm", 1): 0.2}
    records = [
        {"method": m, "depth": 2, "labels": 10, "seed": seed, "test_error": e}
        for (m, seed), e in errors.items()
    ]
    none, rbm = pt.summarize(records, s)
    assert none["seeds"] == 2 and none["mean_test_error"] == pytest.approx(0.4)
    assert none["std_test_error"] == pytest.approx(math.sqrt(0.02))
    assert math.isnan(none["minus_none"])
    assert rbm["std_test_error"] == 0.0 and rbm["minus_none"] == pytest.approx(-0.2)
    assert "-20.00" in pt.table_text([none, rbm])


def test_missing_data_tries_apt_then_explains(monkeypatch):
    calls = []

    def missing(name, train):
        raise CommandError("FashionMNIST: files were not found")

    monkeypatch.setattr(pt, "load_data", missing)
    monkeypatch.setattr(pt, "_apt_install", lambda package: calls.append(package) or False)
    with pytest.raises(CommandError, match="--data synthetic"):
        pt.load_images("fashion-mnist", None)
    assert calls == ["dataset-fashion-mnist"]
    images = np.zeros((3, 1, 28, 28), np.float32), np.arange(3)
    attempts = iter([CommandError("missing"), images, images])

    def installed_later(name, train):
        value = next(attempts)
        if isinstance(value, Exception):
            raise value
        return value

    monkeypatch.setattr(pt, "load_data", installed_later)
    monkeypatch.setattr(pt, "_apt_install", lambda package: True)
    data = pt.load_images("fashion-mnist", 2)
    assert data.train_x.shape == (3, 784) and data.test_x.shape == (2, 784)


@pytest.mark.slow  # a second run of the quick grid
def test_without_fashion_mnist_the_tests_run_on_synthetic_data_and_say_so(pytester, monkeypatch):
    """This file run where the loader finds no Fashion-MNIST ($EMBER_DATA and $HOME empty, no
    system folder): a test of the quick grid runs on the synthetic set, its assertions hold, and
    it is reported skipped with the reason."""
    empty = pytester.mkdir("no-data")
    monkeypatch.setenv("EMBER_DATA", str(empty))
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(empty),))
    pytester.makepyfile(test_copy=Path(__file__).read_text())
    result = pytester.runpytest_inprocess("-k", "resume_refuses", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*test_copy.py*{SYNTHETIC}"])
