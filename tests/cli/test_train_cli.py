"""`ember train` / `ember eval` on a tiny synthetic dataset, including kill-and-resume."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember.cli.main import main

SMALL = ["--data", "synthetic", "--hidden", "32", "--batch-size", "50", "--no-progress"]


def _run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "ember.cli.main", *args], capture_output=True, text=True, timeout=300
    )


def test_train_writes_metrics_checkpoint_and_plots(tmp_path, capsys):
    assert main(["train", *SMALL, "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "samples/s" in out
    records = json.loads((tmp_path / "metrics.json").read_text())
    assert [r["epoch"] for r in records] == [1, 2]
    assert records[-1]["val_accuracy"] > 0.5  # the synthetic classes are easy
    assert (tmp_path / "metrics.csv").read_text().startswith("epoch,")
    pytest.importorskip("matplotlib")
    assert (tmp_path / "loss.png").stat().st_size > 0


@pytest.mark.slow
def test_eval_reports_accuracy_and_confusion_matrix(tmp_path, capsys):
    main(["train", *SMALL, "--epochs", "1", "--out", str(tmp_path), "--model", "cnn"])
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "checkpoint.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "confusion matrix" in out
    rows = [line.split()[1:] for line in out.splitlines()[-10:]]
    assert sum(int(v) for row in rows for v in row) == 200


def test_bad_arguments_get_a_message_not_a_traceback(tmp_path, capsys):
    proc = _run_cli("train", "--epochs", "0")  # the console command's own exit status, once
    assert proc.returncode == 2 and "must be positive" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert main(["eval", str(tmp_path / "missing.safetensors")]) == 2
    assert "cannot read checkpoint" in capsys.readouterr().err
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_text("not a checkpoint")
    assert main(["eval", str(bogus)]) == 2
    assert "ember eval: error" in capsys.readouterr().err
    assert main(["train", *SMALL, "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "no checkpoint" in capsys.readouterr().err


def _weights(path):
    state = ember.load(path)["model"]
    return {k: v.numpy().copy() for k, v in state.items()}


@pytest.mark.slow
def test_resume_after_sigkill_is_bit_identical(tmp_path):
    args = ["train", *SMALL, "--epochs", "4", "--optimizer", "adam", "--seed", "3"]
    ref, broken = tmp_path / "ref", tmp_path / "broken"
    assert _run_cli(*args, "--out", str(ref)).returncode == 0

    proc = subprocess.Popen(
        [sys.executable, "-m", "ember.cli.main", *args, "--out", str(broken)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    metrics = broken / "metrics.json"
    deadline = time.time() + 120
    while time.time() < deadline and not metrics.exists():
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in epoch 2 (or later)
    proc.wait()
    done = json.loads(metrics.read_text())
    assert 0 < len(done) < 4, "the kill should land before the last epoch"

    resumed = _run_cli(*args, "--out", str(broken), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(ref / "checkpoint.safetensors"), _weights(broken / "checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert json.loads((broken / "metrics.json").read_text())[-1]["epoch"] == 4


@pytest.mark.slow
def test_ctrl_c_saves_says_how_to_resume_and_the_resume_finishes(tmp_path):
    args = ["train", *SMALL, "--epochs", "4", "--seed", "5", "--out", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ember.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = tmp_path / "metrics.json"
    deadline = time.time() + 120
    while time.time() < deadline and not metrics.exists():
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)  # Ctrl-C, after the first epoch's checkpoint
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before the interrupt arrived (machine too fast)")
    assert proc.returncode == 130
    assert "interrupted" in err and "continue with: ember train" in err and "--resume" in err
    resumed = _run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert [r["epoch"] for r in json.loads(metrics.read_text())] == [1, 2, 3, 4]
