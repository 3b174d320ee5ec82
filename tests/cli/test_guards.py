"""The command guards the user's work: no silent overwrite, diverging runs stop without saving,
resume only with the settings that shaped the run, one-line errors for every user mistake."""

from __future__ import annotations

import errno
import json
import os
import signal
import struct

import numpy as np
import pytest

import ember
from ember.cli import train as cli_train
from ember.cli.main import main

SMALL = ["--data", "synthetic", "--hidden", "16", "--batch-size", "50", "--no-progress"]
STEPS = 12  # 600 synthetic training images in batches of 50


def _train(out, *extra):
    return main(["train", *SMALL, "--epochs", "1", "--out", str(out), *extra])


def _error(capsys, command="train"):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ember {command}: error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished one-epoch run (its files are only read)."""
    out = tmp_path_factory.mktemp("run")
    assert _train(out) == 0
    return out


def _copy(run, dest):
    dest.mkdir()
    for name in ("checkpoint.safetensors", "metrics.json", "metrics.csv"):
        (dest / name).write_bytes((run / name).read_bytes())
    return dest


def test_a_second_run_into_a_folder_with_a_checkpoint_refuses_without_resume(
    trained, tmp_path, capsys
):
    run = _copy(trained, tmp_path / "run")
    before = (run / "checkpoint.safetensors").read_bytes()
    capsys.readouterr()
    assert _train(run) == 2
    line = _error(capsys)
    assert "--resume" in line and "--overwrite" in line
    assert (run / "checkpoint.safetensors").read_bytes() == before
    assert _train(run, "--overwrite", "--seed", "1") == 0
    assert (run / "checkpoint.safetensors").read_bytes() != before
    with pytest.raises(SystemExit) as exit_:
        _train(run, "--overwrite", "--resume")
    assert exit_.value.code == 2


@pytest.mark.parametrize(
    "option",
    ["--lr=nan", "--lr=inf", "--lr=-1", "--lr=0"]
    + [f"{o}={v}" for o in ("--momentum", "--weight-decay") for v in ("nan", "-inf", "-1")],
)
@pytest.mark.parametrize("command", ["train", "pretrain"])
def test_bad_numbers_are_refused_at_parse_time(command, option, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, option])
    assert exit_.value.code == 2
    assert f"argument {option.split('=')[0]}: must be" in capsys.readouterr().err


class _LossThatFails:
    """Cross-entropy whose ``call``-th use (train and eval batches alike) gives ``value`` or
    raises ``exc``."""

    def __init__(self, call, value=float("nan"), exc=None):
        self.calls, self.call, self.value, self.exc = 0, call, value, exc
        self.loss = ember.nn.CrossEntropyLoss()

    def __call__(self, output, target):
        self.calls += 1
        if self.calls >= self.call:
            if self.exc is not None:
                raise self.exc
            return self.loss(output, target) * self.value
        return self.loss(output, target)


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    # epoch 1: 12 training batches and 1 evaluation batch; then epoch 2, step 3 is call 16
    loss = _LossThatFails(STEPS + 1 + 3)
    monkeypatch.setattr(cli_train.nn, "CrossEntropyLoss", lambda: loss)
    status = main(["train", *SMALL, "--epochs", "3", "--out", str(tmp_path)])
    line = _error(capsys)
    assert status == 1
    assert "nan at epoch 2, step 3" in line and "holds epoch 1" in line
    ckpt = ember.load(tmp_path / "checkpoint.safetensors")
    assert ckpt["epoch"] == 1
    assert all(np.isfinite(v.numpy()).all() for v in ckpt["model"].values())
    assert len(json.loads((tmp_path / "metrics.json").read_text())) == 1


def test_a_diverging_learning_rate_writes_no_checkpoint(tmp_path, capsys):
    args = ["--epochs", "2", "--lr", "1e30", "--optimizer", "sgd", "--out", str(tmp_path)]
    status = main(["train", *SMALL, *args])
    assert status == 1
    line = _error(capsys)
    assert "epoch 1" in line and "no checkpoint was written" in line
    assert not (tmp_path / "checkpoint.safetensors").exists()


def test_resume_with_other_settings_refuses_in_one_line(trained, tmp_path, capsys):
    run = _copy(trained, tmp_path / "run")
    capsys.readouterr()
    assert _train(run, "--resume", "--batch-size", "60") == 2
    assert "--batch-size 50 (now 60)" in _error(capsys)
    assert _train(run, "--resume", "--hidden", "8", "--model", "cnn") == 2
    line = _error(capsys)
    assert "--model mlp (now cnn)" in line and "--hidden 16 (now 8)" in line
    # With the cosine schedule, --epochs is its length: a longer run would not continue it.
    args = ["train", *SMALL, "--out", str(run), "--resume"]
    assert main([*args, "--epochs", "2"]) == 2
    line = _error(capsys)
    assert "--epochs 1 (now 2)" in line and "schedule's length" in line


@pytest.mark.slow
def test_resume_without_a_schedule_may_run_longer(tmp_path, capsys):
    args = ["train", *SMALL, "--schedule", "none", "--out", str(tmp_path)]
    assert main([*args, "--epochs", "1"]) == 0
    assert main([*args, "--epochs", "2", "--resume"]) == 0
    assert ember.load(tmp_path / "checkpoint.safetensors")["epoch"] == 2


def _idx(path, magic, dims, payload=b""):
    path.write_bytes(struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload)


@pytest.mark.parametrize("broken", ["corrupt", "empty"])
def test_bad_dataset_files_give_one_line(broken, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix in ("train", "t10k"):
        n = 0 if broken == "empty" else 3
        _idx(folder / f"{prefix}-images-idx3-ubyte", 0x803, (n, 28, 28))  # 3 images: no pixels
        _idx(folder / f"{prefix}-labels-idx1-ubyte", 0x801, (n,), bytes(n))
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    status = main(["train", "--data", "mnist", "--out", str(tmp_path / "run"), "--no-progress"])
    assert status == 2
    line = _error(capsys)
    assert ("0 images" in line) if broken == "empty" else ("train-images-idx3-ubyte" in line)


def test_checkpoints_that_do_not_fit_give_one_line(trained, tmp_path, capsys):
    ckpt = trained / "checkpoint.safetensors"
    assert _train(tmp_path / "a", "--hidden", "8", "--init", str(ckpt)) == 2
    assert f"the weights in {ckpt} do not fit" in _error(capsys)
    listed = tmp_path / "list.safetensors"
    ember.save([ember.zeros(2)], listed)
    assert _train(tmp_path / "b", "--init", str(listed)) == 2
    assert "holds a list" in _error(capsys)
    state = ember.load(ckpt)
    state["config"]["hidden"] = [8]
    other = tmp_path / "other.safetensors"
    ember.save(state, other)
    assert main(["eval", str(other)]) == 2
    assert "do not fit" in _error(capsys, "eval")
    (tmp_path / "c").mkdir()
    ember.save({"model": state["model"]}, tmp_path / "c" / "checkpoint.safetensors")
    assert _train(tmp_path / "c", "--resume") == 2
    assert "not a checkpoint written by ember train" in _error(capsys)


def test_an_out_folder_that_cannot_be_written_gives_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert _train(blocker / "run") == 2
    assert str(blocker / "run") in _error(capsys)
    assert main(["pretrain", "--data", "synthetic", "--out", str(blocker / "p")]) == 2
    _error(capsys, "pretrain")
    assert main(["demo", "backprop", "--out", str(blocker / "d")]) == 2
    _error(capsys, "demo")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_disk_keeps_the_last_checkpoint(
    code, trained, tmp_path, monkeypatch, capsys
):
    run = _copy(trained, tmp_path / "run")
    before = (run / "checkpoint.safetensors").read_bytes()

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    import safetensors.numpy  # ember.io imports its writer on first use, so patch it at home

    monkeypatch.setattr(safetensors.numpy, "save_file", fail)
    capsys.readouterr()
    assert _train(run, "--overwrite") == 2
    assert os.strerror(code) in _error(capsys)
    assert (run / "checkpoint.safetensors").read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoint.safetensors",
        "metrics.csv",
        "metrics.json",
    ]


def test_a_bug_still_shows_its_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_train, "build_model", lambda config: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _train(tmp_path)


def test_the_interrupt_message_names_the_checkpoint_and_the_resume_command(
    tmp_path, monkeypatch, capsys
):
    loss = _LossThatFails(STEPS + 1 + 2, exc=KeyboardInterrupt())
    monkeypatch.setattr(cli_train.nn, "CrossEntropyLoss", lambda: loss)
    assert main(["train", *SMALL, "--epochs", "3", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert f"{tmp_path / 'checkpoint.safetensors'} holds epoch 1" in err
    assert f"ember train {' '.join(SMALL)} --epochs 3 --out {tmp_path} --resume" in err


def test_ctrl_c_during_a_save_waits_for_checkpoint_and_metrics(tmp_path, monkeypatch, capsys):
    save = cli_train.save_checkpoint

    def interrupted_save(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the files are being written
        save(*args, **kwargs)

    monkeypatch.setattr(cli_train, "save_checkpoint", interrupted_save)
    assert main(["train", *SMALL, "--epochs", "3", "--out", str(tmp_path)]) == 130
    assert ember.load(tmp_path / "checkpoint.safetensors")["epoch"] == 1
    assert len(json.loads((tmp_path / "metrics.json").read_text())) == 1
    assert "holds epoch 1" in capsys.readouterr().err


def test_temporary_files_of_a_killed_run_are_removed_at_the_next_start(trained, tmp_path, capsys):
    run = _copy(trained, tmp_path / "run")
    stale = run / ".checkpoint.safetensors.0123456789ab.tmp"
    stale.write_bytes(b"half a checkpoint")
    unrelated = run / ".notes.0123456789ab.tmp"
    unrelated.write_text("kept")
    assert _train(run, "--resume") == 0  # nothing left to train
    assert not stale.exists() and unrelated.exists()
