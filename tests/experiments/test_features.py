"""``ember demo features``: the quick run writes one image per method and state, and a summary of
how far fine-tuning moved the first layer; the mosaic and the summary are exact."""

import csv
import importlib.util
import json
import math

import numpy as np
import pytest

from ember.cli.main import main
from ember.experiments import features

from .test_pretraining import DATA

HAS_PLOTS = importlib.util.find_spec("matplotlib") is not None


@pytest.mark.slow
def test_quick_run_writes_images_and_summary(tmp_path):
    args = ["demo", "features", "--quick", "--data", DATA, "--out", str(tmp_path)]
    assert main([*args, "--units", "16", "--no-progress"]) == 0
    result = json.loads((tmp_path / "features.json").read_text())
    assert result["units"] == 16 and result["settings"]["width"] == 32
    rows = {r["method"]: r for r in result["table"]}
    assert list(rows) == ["none", "autoencoder", "rbm"]
    for r in rows.values():
        assert 0.0 <= r["test_error"] <= 1.0
        assert r["mean_abs_weight"] > 0 and math.isfinite(r["relative_change"])
        assert r["mean_abs_change"] > 0  # fine-tuning moved the first layer
    with (tmp_path / "features.csv").open() as f:
        assert [r["method"] for r in csv.DictReader(f)] == list(rows)
    images = ["none_init", "none_finetuned", "autoencoder_pretrained", "autoencoder_finetuned"]
    images += ["rbm_pretrained", "rbm_finetuned"]
    for name in images:
        assert (tmp_path / f"{name}.png").exists() == HAS_PLOTS


def test_mosaic_places_scaled_tiles_between_nan_lines():
    weights = np.arange(3 * 784, dtype=np.float64).reshape(3, 784)
    scale = np.array([1.0, 2.0, 4.0])
    canvas = features.mosaic(weights, scale)
    assert canvas.shape == (2 * 29 + 1, 2 * 29 + 1)  # 3 tiles in a 2 x 2 grid
    np.testing.assert_array_equal(canvas[1:29, 30:58], weights[1].reshape(28, 28) / 2)
    np.testing.assert_array_equal(canvas[30:58, 1:29], weights[2].reshape(28, 28) / 4)
    assert np.isnan(canvas[0]).all() and np.isnan(canvas[:, 29]).all()
    assert np.isnan(canvas[30:58, 30:58]).all()  # the empty fourth tile


def test_change_summary():
    before = np.array([[3.0, -4.0]])
    after = np.array([[3.0, -1.0]])
    summary = features.change_summary(before, after)
    assert summary == pytest.approx(
        {"mean_abs_weight": 3.5, "mean_abs_change": 1.5, "relative_change": 3 / 5}
    )
