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

from .mpi import WORKERS, environment, launch, mpiexec, run_worker

SCENARIOS = ("collectives", "ddp_equivalence", "ddp_behaviour")


@pytest.fixture(scope="module")
def scenarios():
    """The passing worker scenarios, all in one 2-rank job."""
    return run_worker("several", *SCENARIOS)


def _ok(result, name):
    for rank in (0, 1):
        assert f"{name} rank {rank}: ok" in result.stdout, result.stdout + result.stderr


def test_the_scenarios_job_ends_cleanly(scenarios):
    assert scenarios.returncode == 0, scenarios.stdout + scenarios.stderr


def test_collectives_match_what_each_rank_computes(scenarios):
    _ok(scenarios, "collectives")


def test_ddp_on_half_batches_equals_one_process_on_the_whole_batch(scenarios):
    _ok(scenarios, "ddp_equivalence")


def test_unused_parameters_buffers_and_state_dict(scenarios):
    _ok(scenarios, "ddp_behaviour")


@pytest.mark.slow
def test_models_that_differ_across_ranks_fail_naming_the_difference():
    result = run_worker("mismatch")
    assert result.returncode != 0
    assert "constructed" not in result.stdout
    assert "parameter '0.weight' of shape (4, 3)" in result.stderr
    assert "rank 1 has parameter '0.weight' of shape (5, 3)" in result.stderr


@pytest.mark.slow
def test_a_rank_that_raises_ends_the_whole_job_quickly():
    start = time.monotonic()
    result = run_worker("failing_rank", timeout=60)
    assert time.monotonic() - start < 30
    assert result.returncode != 0
    assert "rank 1 fails on purpose" in result.stderr
    assert "rank 0 was not stopped" not in result.stdout


SMALL = ["--data", "synthetic", "--hidden", "32", "--batch-size", "50", "--no-progress"]
EMBER = [sys.executable, "-m", "ember.cli.main"]
TRAIN = ["train", *SMALL, "--optimizer", "sgd", "--epochs", "2"]
RESUME = ["train", *SMALL, "--optimizer", "adam", "--schedule", "none"]
PRETRAIN = ["pretrain", "--data", "synthetic", "--hidden", "32,16", "--epochs", "2"]
PRETRAIN += ["--batch-size", "25", "--no-progress"]  # shares of 13 and 12
METHODS = ("denoising", "rbm")


def _weights(path):
    return {k: v.numpy().copy() for k, v in ember.load(path)["model"].items()}


def _same_weights(one, two, atol=1e-5):
    a, b = _weights(one / "checkpoint.safetensors"), _weights(two / "checkpoint.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=atol)


@pytest.fixture(scope="module")
def commands(tmp_path_factory):
    """One process each for the references (in this process), then the same commands on two
    ranks in one job: (folder, {label: rank 0's output}). The tests that use it are slow: five
    training runs here and four on two ranks."""
    out = tmp_path_factory.mktemp("commands")
    assert main([*TRAIN, "--out", str(out / "train-one")]) == 0
    assert main([*RESUME, "--epochs", "2", "--out", str(out / "whole")]) == 0
    assert main([*RESUME, "--epochs", "1", "--out", str(out / "split")]) == 0
    for method in METHODS:
        assert main([*PRETRAIN, "--method", method, "--out", str(out / f"{method}-one")]) == 0
    groups = [
        ["train", *TRAIN, "--out", str(out / "train-two")],
        ["resume", *RESUME, "--epochs", "2", "--out", str(out / "split"), "--resume"],
        *(
            ["pretrain-" + m, *PRETRAIN, "--method", m, "--out", str(out / f"{m}-two")]
            for m in METHODS
        ),
    ]
    args = [arg for group in groups for arg in ["--", *group]][1:]
    job = launch([sys.executable, str(WORKERS / "commands.py"), *args])
    assert job.returncode == 0, job.stdout + job.stderr
    sections = {}
    for part in job.stdout.split("== ")[1:]:
        label, _, text = part.partition("\n")
        sections[label] = text
    assert list(sections) == [g[0] for g in groups], job.stdout
    return out, sections


@pytest.mark.slow
def test_train_on_two_ranks_matches_one_process(commands):
    out, printed = commands
    assert printed["train"].count("test accuracy") == 1  # only rank 0 prints
    _same_weights(out / "train-one", out / "train-two")
    metrics = json.loads((out / "train-two/metrics.json").read_text())
    assert [r["world_size"] for r in metrics] == [2, 2]
    assert ember.load(out / "train-two/checkpoint.safetensors")["config"]["world_size"] == 2


@pytest.mark.slow
def test_resume_on_another_number_of_ranks_continues_the_same_run(commands):
    out, _ = commands
    _same_weights(out / "whole", out / "split")


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_pretrain_on_two_ranks_matches_one_process(commands, method):
    out, _ = commands
    _same_weights(out / f"{method}-one", out / f"{method}-two")


@pytest.mark.slow
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
