"""`ember pretrain` on the synthetic set, then `ember train --init` fine-tunes its checkpoint."""

import json

import numpy as np
import pytest

import ember
from ember.cli.main import main
from ember.cli.train import build_model

SMALL = ["--data", "synthetic", "--hidden", "24,12", "--batch-size", "50", "--no-progress"]


@pytest.mark.slow
def test_pretrain_then_fine_tune(tmp_path, capsys):
    pre, tuned = tmp_path / "pre", tmp_path / "tuned"
    args = ["pretrain", *SMALL, "--method", "rbm", "--epochs", "2", "--out", str(pre)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "784->24" in out and "24->12" in out and "ember train" in out
    report = json.loads((pre / "report.json").read_text())
    assert [r["layer"] for r in report["layers"]] == [1, 2]
    assert report["settings"]["method"] == "rbm"
    assert all(len(r["losses"]) == 2 for r in report["layers"])
    ckpt = ember.load(pre / "checkpoint.safetensors")
    assert ckpt["config"]["hidden"] == [24, 12] and ckpt["config"]["activation"] == "sigmoid"
    classifier = ckpt["model"]["5.weight"]
    assert classifier.shape == (10, 12)
    init = ["--init", str(pre / "checkpoint.safetensors"), "--activation", "sigmoid"]
    assert main(["train", *SMALL, *init, "--epochs", "1", "--out", str(tuned)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    fine = ember.load(tuned / "checkpoint.safetensors")["model"]
    # fine-tuning started from the pre-trained weights, not from the seed's fresh ones
    ember.manual_seed(0)
    fresh = build_model({**ckpt["config"], "model": "mlp"}).state_dict()["1.weight"]._data
    start, end = ckpt["model"]["1.weight"]._data, fine["1.weight"]._data
    corr = np.corrcoef([end.ravel(), start.ravel(), fresh.ravel()])
    assert corr[0, 1] > 0.8 and corr[0, 2] < 0.5


def test_pretrain_errors_are_one_line(tmp_path, capsys):
    args = ["pretrain", *SMALL, "--activation", "relu", "--method", "rbm", "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "ember pretrain: error:" in err and "Sigmoid" in err
