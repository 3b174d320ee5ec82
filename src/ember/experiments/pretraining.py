"""Pre-training against random weights: test error of sigmoid MLPs by depth, method and labels.

The lecture's headline claim: greedy layer-wise pre-training without labels (autoencoders,
denoising autoencoders, RBMs), then supervised fine-tuning, gives deep sigmoid networks a lower
test error than the same networks fine-tuned from random weights, and more so with few labels.

Per seed, each method pre-trains one stack of the deepest depth asked for on unlabelled training
images; a network of depth d takes the stack's first d layers (identical to pre-training d layers
alone with that seed, since greedy training of layer k never looks above it) and a new random
classifier. Every network, "none" (PyTorch's default Linear init) included, is then fine-tuned
the same way: SGD with momentum on L - L/10 labelled examples for a fixed budget (``steps``
updates or ``epochs`` epochs, whichever are fewer), keeping the weights with the lowest error on
the held-out L/10 (checked every ``eval_every`` updates or every epoch, whichever is rarer). The
test set is used once, for the final error. A seed fixes the unlabelled and labelled subsets,
all initial weights, the pre-training and the fine-tuning batches, so the methods are compared
on the same examples.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

import ember

from .. import models, nn, optim
from ..autograd.grad_mode import no_grad
from ..cli.train import CommandError, _positive, load_data, make_loader
from ..pretrain import greedy_layerwise
from .common import Output, add_common_arguments, format_table, pyplot

METHODS = ("none", "autoencoder", "denoising", "rbm")
# The grids; what they leave out comes from the defaults of Settings. Every value has a flag.
PRESETS: dict[str, dict[str, Any]] = {
    # Minutes on 2 CPU cores: no denoising, 2 depths, 3 seeds, 1,000 labels, 10,000 unlabelled
    # images, 2 pre-training epochs per layer.
    "default": dict(
        methods=["none", "autoencoder", "rbm"],
        depths=[1, 3],
        labels=[1000],
        seeds=3,
        unlabelled=10_000,
        pretrain_epochs=2,
        steps=1500,
        epochs=100,
    ),
    # The lecture's grid (hours).
    "full": dict(
        depths=[1, 2, 3, 5],
        labels=[1000, 60_000],
        seeds=5,
        unlabelled=60_000,
        pretrain_epochs=5,
        steps=6000,
        epochs=150,
    ),
    # Seconds, for the tests.
    "quick": dict(
        depths=[1, 2],
        width=32,
        labels=[100],
        seeds=2,
        unlabelled=300,
        pretrain_epochs=1,
        steps=20,
        epochs=20,
        test_size=500,
    ),
}


@dataclass
class Settings:
    """Everything that determines the numbers of a run; the defaults are the protocol shared by
    all grids."""

    preset: str
    seeds: list[int]
    depths: list[int]
    labels: list[int]
    unlabelled: int
    pretrain_epochs: int
    steps: int
    epochs: int
    data: str = "fashion-mnist"
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    width: int = 500
    test_size: int | None = None
    pretrain_lr: float = 0.1
    pretrain_momentum: float = 0.5
    pretrain_batch: int = 64
    corruption: float = 0.25
    lr: float = 0.1
    momentum: float = 0.9
    batch_size: int = 64
    eval_every: int = 100
    patience: int | None = None
    val_fraction: float = 0.1


# ----------------------------------------------------------------------------------- arguments
def _list(kind: type, choices: Sequence[Any] | None = None) -> Any:
    def parse(text: str) -> list[Any]:
        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list, got {text!r}"
            ) from None
        bad = [v for v in values if (choices and v not in choices) or (kind is int and v <= 0)]
        if not values or bad:
            allowed = f" from {', '.join(map(str, choices))}" if choices else " positive"
            raise argparse.ArgumentTypeError(f"expected values{allowed}, got {text!r}")
        return values

    return parse


def add_protocol_arguments(p: argparse.ArgumentParser) -> None:
    """Data, network width and the pre-training and fine-tuning settings (default: the
    preset's, else those of Settings)."""
    count, rate = _positive(int), _positive(float)
    for flag, kind, text in (
        ("--width", count, "hidden units per layer (500)"),
        ("--unlabelled", count, "images for pre-training"),
        ("--pretrain-epochs", count, "epochs per layer"),
        ("--pretrain-lr", rate, "pre-training SGD lr (0.1)"),
        ("--pretrain-momentum", float, "pre-training SGD momentum (0.5)"),
        ("--pretrain-batch", count, "pre-training batch (64)"),
        ("--corruption", float, "denoising: fraction of pixels masked (0.25)"),
        ("--steps", count, "fine-tuning SGD updates at most"),
        ("--epochs", count, "fine-tuning epochs at most"),
        ("--lr", rate, "fine-tuning SGD lr (0.1)"),
        ("--momentum", float, "fine-tuning SGD momentum (0.9)"),
        ("--batch-size", count, "fine-tuning batch (64)"),
        ("--eval-every", count, "updates between validation checks, >= 1 epoch (100)"),
        ("--patience", count, "stop after N checks without improvement (off)"),
        ("--val-fraction", rate, "fraction of the labels held out (0.1)"),
        ("--test-size", count, "test images (default: all 10,000)"),
    ):
        p.add_argument(flag, type=kind, default=None, help=text)
    p.add_argument("--data", choices=("fashion-mnist", "synthetic"), default=None)
    p.add_argument("--no-progress", action="store_true", help="no pre-training progress bars")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, "pretraining")
    parser.add_argument(
        "--full", action="store_true", help="the full grid (hours; see docs/experiments)"
    )
    parser.add_argument("--methods", type=_list(str, METHODS), default=None, help="e.g. none,rbm")
    parser.add_argument("--depths", type=_list(int), default=None, help="e.g. 1,2,3,5")
    parser.add_argument("--labels", type=_list(int), default=None, help="e.g. 1000,60000")
    parser.add_argument(
        "--seeds", type=_positive(int), default=None, help="how many seeds, from --seed"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the runs already in OUT/runs.jsonl"
    )
    parser.add_argument(
        "--summary", action="store_true", help="only tabulate and plot OUT/runs.jsonl so far"
    )
    add_protocol_arguments(parser)


def preset_name(args: argparse.Namespace) -> str:
    """The grid the flags ask for: full, quick or default."""
    if getattr(args, "full", False) and args.quick:
        raise CommandError("--full and --quick exclude each other")
    return "full" if getattr(args, "full", False) else "quick" if args.quick else "default"


def resolve(args: argparse.Namespace, preset: dict[str, Any], name: str) -> Settings:
    """Settings from the flags given, else the preset, else the defaults of Settings;
    ``--seeds N`` becomes the N seeds from ``--seed``."""
    values = {**preset, "preset": name}
    for f in fields(Settings):
        if getattr(args, f.name, None) is not None:
            values[f.name] = getattr(args, f.name)
    values["seeds"] = list(range(args.seed, args.seed + values["seeds"]))
    return Settings(**values)


# ----------------------------------------------------------------------------------- data
@dataclass
class Data:
    """Flattened images in [0, 1] (float32, N x 784) and int64 labels."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def _apt_install(package: str) -> bool:
    """Install a Debian package when running as root with apt; True when it worked."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    print(f"installing {package} (apt-get install -y {package}) ...")
    command = ["apt-get", "install", "-y", "-qq", package]
    if subprocess.run(command, check=False).returncode == 0:
        return True
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    return subprocess.run(command, check=False).returncode == 0


def _load_split(name: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    try:
        return load_data(name, train)
    except CommandError as e:
        if name == "fashion-mnist" and _apt_install("dataset-fashion-mnist"):
            return load_data(name, train)
        raise CommandError(
            f"{e}\n  - or run on a small synthetic stand-in: --data synthetic"
        ) from None


def load_images(name: str, test_size: int | None) -> Data:
    """The training and test images (the first ``test_size`` test images when given); installs
    Debian's dataset-fashion-mnist when it is missing and that is possible."""
    train_x, train_y = _load_split(name, True)
    test_x, test_y = _load_split(name, False)
    test_x, test_y = test_x[:test_size], test_y[:test_size]
    return Data(train_x.reshape(len(train_x), -1), train_y, test_x.reshape(len(test_x), -1), test_y)


def subset(n: int, size: int, seed: int, tag: int) -> np.ndarray:
    """``size`` distinct indices below ``n``, drawn from (seed, tag)."""
    if size > n:
        raise CommandError(f"asked for {size} training images, the data has {n}")
    return np.random.default_rng((seed, tag)).permutation(n)[:size]


def labelled_split(n: int, labels: int, fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """(fine-tuning indices, held-out validation indices): ``labels`` examples in all."""
    chosen = subset(n, labels, seed, labels)
    n_val = max(1, round(labels * fraction))
    if n_val >= labels:
        raise CommandError(f"{labels} labels leave nothing to train on after validation")
    return chosen[n_val:], chosen[:n_val]


# ----------------------------------------------------------------------------------- networks
Stack = list[tuple[np.ndarray, np.ndarray]]


def hidden_linears(model: nn.Module) -> list[nn.Linear]:
    """The Linear layers of an MLP but the classifier."""
    return [m for m in model if isinstance(m, nn.Linear)][:-1]


def pretrain_stack(
    method: str, seed: int, depth: int, images: np.ndarray, s: Settings, progress: bool
) -> tuple[Stack, list[dict[str, Any]]]:
    """Greedy pre-training of ``depth`` sigmoid layers; returns their (weight, bias) arrays and
    the per-layer reports."""
    ember.manual_seed(seed)
    model = models.mlp(images.shape[1], [s.width] * depth, 10, "sigmoid")
    reports = greedy_layerwise(
        model,
        images,
        method=method,
        epochs=s.pretrain_epochs,
        lr=s.pretrain_lr,
        batch_size=s.pretrain_batch,
        optimizer_kwargs={"momentum": s.pretrain_momentum},
        corruption=s.corruption if method == "denoising" else None,
        progress=progress,
        generator=ember.Generator().manual_seed(seed),
    )
    stack = [(lin.weight._data.copy(), lin.bias._data.copy()) for lin in hidden_linears(model)]
    return stack, [r.to_dict() for r in reports]


def build_network(seed: int, depth: int, width: int, stack: Stack | None) -> nn.Sequential:
    """A sigmoid MLP with PyTorch's default init from ``seed``; its hidden layers then take the
    first ``depth`` layers of ``stack`` when one is given (the classifier stays random)."""
    ember.manual_seed(seed)
    model = models.mlp(784, [width] * depth, 10, "sigmoid")
    if stack is not None:
        with no_grad():
            for linear, (w, b) in zip(hidden_linears(model), stack[:depth]):
                linear.weight.copy_(ember.tensor(w))
                linear.bias.copy_(ember.tensor(b))
    return model


def error_and_loss(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Classification error and mean cross-entropy of ``model`` on (x, y), in eval mode."""
    model.eval()
    wrong, loss = 0, 0.0
    with no_grad():
        for i in range(0, len(x), 2000):
            logits = model(ember.tensor(x[i : i + 2000]))
            target = ember.tensor(y[i : i + 2000])
            loss += nn.functional.cross_entropy(logits, target, reduction="sum").item()
            wrong += int((logits._data.argmax(axis=1) != y[i : i + 2000]).sum())
    model.train()
    return wrong / len(x), loss / len(x)


def finetune(
    model: nn.Module, data: Data, train_idx: np.ndarray, val_idx: np.ndarray, s: Settings, seed: int
) -> dict[str, Any]:
    """Supervised SGD on ``train_idx`` for ``steps`` updates or ``epochs`` epochs, whichever
    is fewer, checked on ``val_idx`` every ``eval_every`` updates or every epoch, whichever is
    rarer (and at the end; with ``patience``, stopping after that many checks without
    improvement). Keeps the weights with the lowest validation error (ties: lower validation
    loss) and returns the test error of those weights."""
    start = time.perf_counter()
    gen = ember.Generator().manual_seed(seed)
    loader = make_loader(data.train_x[train_idx], data.train_y[train_idx], s.batch_size, True, gen)
    val_x, val_y = data.train_x[val_idx], data.train_y[val_idx]
    every, budget = max(s.eval_every, len(loader)), min(s.steps, s.epochs * len(loader))
    patience = s.patience or math.inf
    opt = optim.SGD(model.parameters(), lr=s.lr, momentum=s.momentum)
    best: tuple[float, float] = (math.inf, math.inf)
    best_state, best_step, step, stale = None, 0, 0, 0
    model.train()
    while step < budget and stale < patience:
        for x, y in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            step += 1
            if step % every and step < budget:
                continue
            score = error_and_loss(model, val_x, val_y)
            if score < best:
                best, best_step, stale = score, step, 0
                best_state = {k: v._data.copy() for k, v in model.state_dict().items()}
            else:
                stale += 1
            if step >= budget or stale >= patience:
                break
    model.load_state_dict(best_state)
    test_error, _ = error_and_loss(model, data.test_x, data.test_y)
    return {
        "test_error": test_error,
        "val_error": best[0],
        "best_step": best_step,
        "steps": step,
        "finetune_seconds": time.perf_counter() - start,
    }


# ----------------------------------------------------------------------------------- results
def _key(r: dict[str, Any]) -> tuple[str, int, int, int]:
    return r["method"], r["depth"], r["labels"], r["seed"]


def _stats(values: list[float]) -> tuple[float, float]:
    """(mean, standard deviation with n - 1); NaN where undefined."""
    mean = float(np.mean(values)) if values else math.nan
    return mean, float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def summarize(records: list[dict[str, Any]], s: Settings) -> list[dict[str, Any]]:
    """Mean and standard deviation (n - 1) of test error per (labels, depth, method) cell, and
    the mean paired difference from "none" with the same seed."""
    error = {_key(r): r["test_error"] for r in records if r["seed"] in s.seeds}
    rows = []
    for labels, depth, method in itertools.product(s.labels, s.depths, s.methods):
        cell = {seed: error[k] for seed in s.seeds if (k := (method, depth, labels, seed)) in error}
        paired = [
            e - error[k]
            for seed, e in cell.items()
            if (k := ("none", depth, labels, seed)) in error
        ]
        mean, std = _stats(list(cell.values()))
        minus_none = _stats(paired)[0] if method != "none" else math.nan
        rows.append(
            dict(
                labels=labels,
                depth=depth,
                method=method,
                seeds=len(cell),
                mean_test_error=mean,
                std_test_error=std,
                minus_none=minus_none,
            )
        )
    return rows


def table_text(rows: list[dict[str, Any]]) -> str:
    """The summary as a text table, errors in percent."""
    keys = ("mean_test_error", "std_test_error", "minus_none")
    return format_table(
        ["labels", "depth", "method", "seeds", "test error %", "std %", "minus none %"],
        [
            [r["labels"], r["depth"], r["method"], r["seeds"]]
            + [f"{100 * r[k]:.2f}" if math.isfinite(r[k]) else "-" for k in keys]
            for r in rows
        ],
    )


def plot(out: Output, rows: list[dict[str, Any]], s: Settings) -> None:
    """Test error against depth, one line per method (error bars: std over seeds), one panel
    per number of labels; a log scale keeps chance level (90 %) and 10 % apart on one axis."""
    plt = pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, len(s.labels), figsize=(4.6 * len(s.labels), 3.6), squeeze=False)
    for ax, labels in zip(axes[0], s.labels):
        for k, method in enumerate(s.methods):
            cells = [r for r in rows if r["labels"] == labels and r["method"] == method]
            shift = (k - (len(s.methods) - 1) / 2) * 0.06
            ax.errorbar(
                [r["depth"] + shift for r in cells],
                [100 * r["mean_test_error"] for r in cells],
                yerr=[100 * np.nan_to_num(r["std_test_error"]) for r in cells],
                marker="o",
                capsize=3,
                label=method,
            )
        ax.set_title(f"L = {labels:,} labels")
        ax.set_xlabel("hidden layers")
        ax.set_xticks(s.depths)
        ax.set_yscale("log")
        ax.minorticks_off()
        low, high = ax.get_ylim()
        ticks = [t for t in (5, 7, 10, 12, 15, 20, 25, 30, 40, 50, 70, 90) if low <= t <= high]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_ylim(low, high)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test error (%)")
    axes[0][-1].legend(title="pre-training")
    fig.suptitle(f"sigmoid MLPs, {s.width} units per layer, mean ± std over seeds", fontsize=10)
    out.figure("error_vs_depth.png", fig)


def machine() -> dict[str, Any]:
    """CPU model and count, Python and NumPy versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return dict(
        cpu=cpu, cores=os.cpu_count(), python=platform.python_version(), numpy=np.__version__
    )


def _previous(out: Output, settings: Settings) -> list[dict[str, Any]]:
    """The runs of an earlier call with the same protocol (the grid may differ: each run is one
    cell, and a shallower stack is the prefix of a deeper one)."""
    path = out.folder / "settings.json"
    if not path.exists():
        return []
    saved = json.loads(path.read_text())
    mine = asdict(settings)
    ignore = ("preset", "methods", "depths", "labels", "seeds")
    if {k: v for k, v in saved.items() if k not in ignore} != {
        k: v for k, v in mine.items() if k not in ignore
    }:
        raise CommandError(f"--resume: {path} holds other settings; use another --out")
    runs = out.folder / "runs.jsonl"
    return [json.loads(line) for line in runs.read_text().splitlines()] if runs.exists() else []


# ----------------------------------------------------------------------------------- run
def _grid(
    s: Settings, data: Data, done: set[tuple[str, int, int, int]], log: Path, progress: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fine-tune every missing (method, depth, labels, seed) cell; each run is appended to
    ``log`` as it ends. Returns (runs, pre-training reports)."""
    runs, pretraining = [], []
    for seed, method in itertools.product(s.seeds, s.methods):
        todo = [(d, n) for d in s.depths for n in s.labels if (method, d, n, seed) not in done]
        stack = None
        if todo and method != "none":
            t, depth = time.perf_counter(), max(d for d, _ in todo)
            images = data.train_x[subset(len(data.train_x), s.unlabelled, seed, 0)]
            stack, layers = pretrain_stack(method, seed, depth, images, s, progress)
            seconds = time.perf_counter() - t
            pretraining.append(dict(method=method, seed=seed, seconds=seconds, layers=layers))
            print(f"seed {seed} {method}: pre-trained {depth} layers in {seconds:.0f} s")
        for depth, labels in todo:
            train_idx, val_idx = labelled_split(len(data.train_x), labels, s.val_fraction, seed)
            model = build_network(seed, depth, s.width, stack)
            r = dict(method=method, depth=depth, labels=labels, seed=seed)
            r.update(finetune(model, data, train_idx, val_idx, s, seed))
            runs.append(r)
            with log.open("a") as f:
                f.write(json.dumps(r) + "\n")
            print(
                f"seed {seed} {method:<11} depth {depth} L={labels:<6} test error "
                f"{100 * r['test_error']:.2f} %  (best of {r['steps']} updates at "
                f"{r['best_step']}, {r['finetune_seconds']:.0f} s)"
            )
    return runs, pretraining


def _report(out: Output, rows: list[dict[str, Any]], s: Settings) -> None:
    """Write table.csv and the figure, print the table."""
    out.csv("table.csv", rows)
    plot(out, rows, s)
    print(
        "\ntest error by (labels, depth, method): mean and std over the seeds counted; "
        "'minus none': mean paired difference from random init with the same seed\n"
    )
    print(table_text(rows))


def run(args: argparse.Namespace) -> dict[str, Any]:
    name = preset_name(args)
    s = resolve(args, PRESETS[name], name)
    out = Output(args.out)
    log = out.folder / "runs.jsonl"
    if args.summary:
        records = _previous(out, s)
        if not records:
            raise CommandError(f"--summary: no runs in {log} yet")
        rows = summarize(records, s)
        _report(out, rows, s)
        print(out.summary())
        return {"settings": asdict(s), "table": rows, "runs": records}
    records = _previous(out, s) if args.resume else []
    print(
        f"pretraining ({name} grid{'' if name == 'full' else '; --full for the full grid'}): "
        f"methods {','.join(s.methods)}; depths {','.join(map(str, s.depths))} x {s.width} "
        f"sigmoid units; labels {','.join(map(str, s.labels))}; seeds {s.seeds}; pre-training "
        f"on {s.unlabelled:,} unlabelled images, {s.pretrain_epochs} epochs per layer; "
        f"fine-tuning {s.steps} SGD updates or {s.epochs} epochs, whichever are fewer"
    )
    start, cpu = time.perf_counter(), time.process_time()
    data = load_images(s.data, s.test_size)
    (out.folder / "settings.json").write_text(json.dumps(asdict(s), indent=2) + "\n")
    if not args.resume:
        log.write_text("")
    runs, pretraining = _grid(s, data, {_key(r) for r in records}, log, not args.no_progress)
    records += runs
    rows = summarize(records, s)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = dict(
        settings=asdict(s),
        table=rows,
        runs=records,
        pretraining=pretraining,
        wall_seconds=wall,
        cpu_seconds=cpu,
        machine=machine(),
    )
    out.files.append(log)
    out.json("results.json", result)
    _report(out, rows, s)
    where = f"{result['machine']['cpu']} ({result['machine']['cores']} cores)"
    print(f"\n{wall:.0f} s wall, {cpu:.0f} s CPU, on {where}")
    print(out.summary())
    return result
