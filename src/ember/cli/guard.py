"""What keeps ``ember train`` from losing or spoiling a run: checked option values, no silent
overwrite of a checkpoint, resume only with the settings that shaped the run, checkpoints and
metrics written together (Ctrl-C waits for both), one-line errors for file problems."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..io import remove_stale_temporaries
from .errors import CommandError

# The settings that shape a run: --resume refuses when one of them changed ("epochs" only
# matters with a learning-rate schedule, whose length it is).
_FREE = ("world_size",)


def number(minimum: float, inclusive: bool) -> Callable[[str], float]:
    """An argparse type: a finite float >= ``minimum`` (> when not ``inclusive``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite, got {text}")
        if value < minimum or (value == minimum and not inclusive):
            bound = "at least" if inclusive else "greater than"
            raise argparse.ArgumentTypeError(f"must be {bound} {minimum:g}, got {text}")
        return value

    return parse


def check_fresh(ckpt: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to train over an existing checkpoint unless asked to continue or replace it."""
    if ckpt.exists() and not resume and not overwrite:
        raise CommandError(
            f"{ckpt} exists; pass --resume to continue that run, or --overwrite to replace it "
            "with a new one"
        )


def resume_conflicts(ckpt: Path, saved: Any, config: dict[str, Any]) -> None:
    """Refuse, in one line, to resume with other settings than those the run was made with."""
    if not isinstance(saved, dict):
        raise CommandError(f"--resume: {ckpt} was not written by ember train (it has no settings)")
    keys = [k for k in config if k not in _FREE]
    if config.get("schedule") == "none" and saved.get("schedule") == "none":
        keys.remove("epochs")  # without a schedule a run may simply go on for longer
    changed = [k for k in keys if saved.get(k) != config[k]]
    if changed:
        parts = ", ".join(
            f"{_flag(k)} {_show(saved.get(k))} (now {_show(config[k])})" for k in changed
        )
        why = (
            "; with a schedule, --epochs is the schedule's length" if changed == ["epochs"] else ""
        )
        raise CommandError(
            f"--resume: {ckpt} was trained with {parts}{why}; resume with the same settings, or "
            "start a new run (another --out, or --overwrite)"
        )


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "(not set)" if value is None else str(value)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failure to write ``path`` (read-only file system, full disk, a file in the way)
    into a one-line error."""
    try:
        yield
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or e}") from None


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold back Ctrl-C for the extent (in the main thread): the files written inside are
    written together; the interrupt follows right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    previous = signal.signal(signal.SIGINT, lambda *frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def interrupted(ckpt: Path, epochs_done: int, argv: Sequence[str]) -> str:
    """Where an interrupted run stands and the command that continues it."""
    if not epochs_done:
        return "no epoch was completed, so there is no checkpoint to resume"
    command = [a for a in argv if a != "--overwrite"]
    if "--resume" not in command:
        command.append("--resume")
    return f"{ckpt} holds epoch {epochs_done}; continue with: ember {shlex.join(command)}"


def nonfinite_parameters(model: Any) -> list[str]:
    """Names of the parameters holding NaN or Inf."""
    return [n for n, p in model.named_parameters() if not np.isfinite(p._data).all()]


def remove_stale(folder: Path, names: Sequence[str]) -> None:
    """Delete temporary files of these outputs that a killed run left in ``folder``."""
    for path in remove_stale_temporaries(folder, names):
        print(f"removed {os.path.basename(path)}, left by an interrupted run")
