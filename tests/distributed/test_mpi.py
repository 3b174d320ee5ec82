"""Two real MPI ranks, started with mpiexec from the test (skipped without ember[mpi])."""

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

from .mpi import environment, launch, mpiexec, run_worker


def _ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok") == 2, result.stdout


def test_collectives_match_what_each_rank_computes():
    _ok(run_worker("collectives"))


def test_ddp_on_half_batches_equals_one_process_on_the_whole_batch():
    _ok(run_worker("ddp_equivalence"))


def test_unused_parameters_buffers_and_state_dict():
    _ok(run_worker("ddp_behaviour"))


def test_models_that_differ_across_ranks_fail_naming_the_difference():
    result = run_worker("mismatch")
    assert result.returncode != 0
    assert "constructed" not in result.stdout
    assert "parameter '0.weight' of shape (4, 3)" in result.stderr
    assert "rank 1 has parameter '0.weight' of shape (5, 3)" in result.stderr


def test_a_rank_that_raises_ends_the_whole_job_quickly():
    start = time.monotonic()
    result = run_worker("failing_rank", timeout=60)
    assert time.monotonic() - start < 30
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr
    assert "rank 0 was not stopped" not in result.stdout


SMALL = ["--data", "synthetic", "--hidden", "32", "--batch-size", "50", "--no-progress"]
EMBER = [sys.executable, "-m", "ember.cli.main"]


def _weights(path):
    return {k: v.numpy().copy() for k, v in ember.load(path)["model"].items()}


def test_train_on_two_ranks_matches_one_process(tmp_path):
    args = ["train", *SMALL, "--epochs", "2", "--optimizer", "sgd"]
    one = subprocess.run(
        [*EMBER, *args, "--out", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(),
    )
    assert one.returncode == 0, one.stderr
    two = launch([*EMBER, *args, "--out", str(tmp_path / "two")])
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("test accuracy") == 1  # only rank 0 prints
    a, b = (
        _weights(tmp_path / "one/checkpoint.safetensors"),
        _weights(tmp_path / "two/checkpoint.safetensors"),
    )
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5)
    metrics = json.loads((tmp_path / "two/metrics.json").read_text())
    assert [r["world_size"] for r in metrics] == [2, 2]
    assert ember.load(tmp_path / "two/checkpoint.safetensors")["config"]["world_size"] == 2


def test_resume_on_another_number_of_ranks_continues_the_same_run(tmp_path):
    args = ["train", *SMALL, "--optimizer", "adam", "--schedule", "none"]
    assert main([*args, "--epochs", "2", "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--epochs", "1", "--out", str(tmp_path / "split")]) == 0
    resumed = launch([*EMBER, *args, "--epochs", "2", "--out", str(tmp_path / "split"), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    a = _weights(tmp_path / "whole/checkpoint.safetensors")
    b = _weights(tmp_path / "split/checkpoint.safetensors")
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5)


@pytest.mark.parametrize("method", ["denoising", "rbm"])
def test_pretrain_on_two_ranks_matches_one_process(tmp_path, method):
    args = ["pretrain", "--data", "synthetic", "--hidden", "32,16", "--method", method]
    args += ["--epochs", "2", "--batch-size", "25", "--no-progress"]  # shares of 13 and 12
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    two = launch([*EMBER, *args, "--out", str(tmp_path / "two")])
    assert two.returncode == 0, two.stderr
    a, b = (
        _weights(tmp_path / "one/checkpoint.safetensors"),
        _weights(tmp_path / "two/checkpoint.safetensors"),
    )
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5)


def test_a_user_mistake_on_two_ranks_ends_the_job_with_status_2(tmp_path):
    result = launch([*EMBER, "eval", str(tmp_path / "missing.safetensors")], timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ember eval: error" in result.stderr


@pytest.mark.slow
def test_kill_and_resume_on_two_ranks_is_bit_identical(tmp_path):
    args = ["train", *SMALL, "--epochs", "4", "--optimizer", "adam", "--seed", "3"]
    ref, broken = tmp_path / "ref", tmp_path / "broken"
    assert launch([*EMBER, *args, "--out", str(ref)]).returncode == 0
    proc = subprocess.Popen(
        [mpiexec(), "-n", "2", *EMBER, *args, "--out", str(broken)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(),
        start_new_session=True,
    )
    metrics = broken / "metrics.json"
    deadline = time.time() + 120
    while time.time() < deadline and not metrics.exists():
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # mpiexec and both ranks, somewhere after epoch 1
    proc.wait()
    done = json.loads(metrics.read_text())
    assert 0 < len(done) < 4, "the kill should land before the last epoch"
    resumed = launch([*EMBER, *args, "--out", str(broken), "--resume"])
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(ref / "checkpoint.safetensors"), _weights(broken / "checkpoint.safetensors")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
