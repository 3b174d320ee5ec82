"""``ember train`` and ``ember eval``: supervised training on Fashion-MNIST/MNIST with checkpoints
that resume bit-identically, metrics as CSV/JSON, PNG curves, and a confusion matrix."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

import ember

from .. import datasets, models, nn, optim
from ..data import DataLoader, TensorDataset
from ..datasets import IDXError
from ..io import atomic_write
from ..nn.parallel import DistributedDataParallel
from ..train import Callback, History, NonFiniteLossError, confusion_matrix, evaluate, fit
from . import guard, world
from .errors import CommandError

CHECKPOINT = "checkpoint.safetensors"
OUTPUTS = (CHECKPOINT, "metrics.json", "metrics.csv")
DATASETS = ("fashion-mnist", "mnist", "synthetic")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW}


def _widths(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths like 1024,1024, got {text!r}") from None
    if any(w <= 0 for w in widths):
        raise argparse.ArgumentTypeError("hidden widths must be positive")
    return widths


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", choices=DATASETS, default="fashion-mnist", help="dataset")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp", help="network")
    p.add_argument(
        "--hidden", type=_widths, default=[1024, 1024], help="MLP widths, e.g. 1024,1024"
    )
    p.add_argument("--activation", choices=sorted(models.ACTIVATIONS), default="relu")
    p.add_argument("--epochs", type=_positive(int), default=15)
    p.add_argument("--batch-size", type=_positive(int), default=128)
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument(
        "--lr",
        type=guard.number(0, inclusive=False),
        default=None,
        help="default: 1e-3 (adam/adamw), 0.05 (sgd)",
    )
    p.add_argument("--momentum", type=guard.number(0, True), default=0.9, help="SGD momentum")
    p.add_argument("--weight-decay", type=guard.number(0, True), default=0.0)
    p.add_argument(
        "--schedule", choices=("cosine", "none"), default="cosine", help="learning-rate schedule"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="run folder (default runs/<data>-<model>)")
    again = p.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue from the run folder's checkpoint"
    )
    again.add_argument(
        "--overwrite", action="store_true", help="start over in a run folder holding a checkpoint"
    )
    p.add_argument(
        "--init", default=None, help="start from a checkpoint's weights (e.g. pre-trained)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a checkpoint written by ember train")
    p.add_argument("--batch-size", type=_positive(int), default=1000)


# ----------------------------------------------------------------------------------- data
def load_data(name: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 (N, 1, 28, 28) in [0, 1] and int64 labels."""
    if name == "synthetic":
        return _synthetic(train)
    cls = datasets.FashionMNIST if name == "fashion-mnist" else datasets.MNIST
    try:
        ds = cls(train=train)
    except (FileNotFoundError, RuntimeError, IDXError) as e:
        raise CommandError(str(e)) from None
    if len(ds.targets) == 0:
        raise CommandError(f"the {name} {'training' if train else 'test'} set has 0 images")
    images = np.asarray(ds.data, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0
    return images, np.asarray(ds.targets, dtype=np.int64)


def _synthetic(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """A small learnable stand-in with MNIST's shapes: each class lights its own 7x7 patch."""
    rng = np.random.default_rng(1 if train else 2)
    n = 600 if train else 200
    labels = rng.integers(0, 10, n)
    images = rng.uniform(0, 0.3, (n, 1, 28, 28)).astype(np.float32)
    for c in range(10):
        r, col = divmod(c, 4)
        images[labels == c, 0, 7 * r : 7 * r + 7, 7 * col : 7 * col + 7] += 0.7
    return images, labels


def make_loader(
    images: np.ndarray, labels: np.ndarray, batch: int, shuffle: bool, gen: Any
) -> DataLoader:
    dataset = TensorDataset(ember.tensor(images), ember.tensor(labels))
    return DataLoader(dataset, batch_size=batch, shuffle=shuffle, generator=gen)


# ----------------------------------------------------------------------------------- model
def build_model(config: dict[str, Any]) -> nn.Module:
    if config["model"] == "cnn":
        return models.cnn(activation=config["activation"])
    return models.mlp(784, config["hidden"], 10, config["activation"])


def build_optimizer(model: nn.Module, config: dict[str, Any]) -> optim.Optimizer:
    kind = config["optimizer"]
    lr = config["lr"] if config["lr"] is not None else (0.05 if kind == "sgd" else 1e-3)
    extra = {"momentum": config["momentum"]} if kind == "sgd" else {}
    return OPTIMIZERS[kind](model.parameters(), lr=lr, weight_decay=config["weight_decay"], **extra)


def build_scheduler(opt: optim.Optimizer, config: dict[str, Any]) -> Any:
    """Cosine decay of the learning rate to zero over the run's epochs (stepped once per epoch)."""
    if config["schedule"] == "none":
        return None
    return optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config["epochs"])


# ----------------------------------------------------------------------------------- files
def save_checkpoint(
    path: Path,
    model: nn.Module,
    opt: Any,
    history: History,
    config: dict,
    gen: Any,
    scheduler: Any = None,
) -> None:
    ember.save(
        {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": len(history.records),
            "history": history.records,
            "config": config,
            "rng": {
                "default": ember.backend.default_generator.get_state(),
                "loader": gen.get_state(),
            },
        },
        path,
    )


def write_metrics(out: Path, history: History) -> None:
    """metrics.json and metrics.csv, each replaced atomically (a killed run leaves whole files)."""
    records = history.records
    if not records:
        return
    with atomic_write(out / "metrics.json") as tmp:
        Path(tmp).write_text(json.dumps(records, indent=1) + "\n")
    with atomic_write(out / "metrics.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)


def plot_curves(out: Path, history: History) -> list[Path]:
    """loss.png and accuracy.png; skipped with a one-line notice when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("note: matplotlib is not installed, so no plots (pip install matplotlib)")
        return []
    written = []
    epochs = history["epoch"]
    for key, label in (("loss", "cross-entropy loss"), ("accuracy", "accuracy")):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(epochs, history[key], marker="o", label="train")
        if history[f"val_{key}"]:
            ax.plot(epochs, history[f"val_{key}"], marker="o", label="test")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"{key}.png", dpi=120)
        plt.close(fig)
        written.append(out / f"{key}.png")
    return written


def summary(history: History) -> str:
    nan = float("nan")
    rows = ["epoch  train loss  train acc  test loss  test acc  s/epoch  samples/s"]
    for r in history.records:
        rows.append(
            f"{int(r['epoch']):>5}  {r['loss']:>10.4f}  {r['accuracy']:>9.4f}  "
            f"{r.get('val_loss', nan):>9.4f}  {r.get('val_accuracy', nan):>8.4f}  "
            f"{r['seconds']:>7.1f}  {r['samples_per_s']:>9.0f}"
        )
    return "\n".join(rows)


# ----------------------------------------------------------------------------------- commands
def run_train(args: argparse.Namespace) -> dict[str, Any]:
    config = {
        k: getattr(args, k)
        for k in (
            "data",
            "model",
            "hidden",
            "activation",
            "epochs",
            "batch_size",
            "optimizer",
            "lr",
            "momentum",
            "weight_decay",
            "schedule",
            "seed",
        )
    }
    rank, size = world.join()
    config["world_size"] = size
    out = Path(args.out or f"runs/{args.data}-{args.model}")
    ckpt_path = out / CHECKPOINT
    guard.check_fresh(ckpt_path, args.resume, args.overwrite)
    if rank == 0:
        with guard.writing(out):
            out.mkdir(parents=True, exist_ok=True)
        guard.remove_stale(out, OUTPUTS)
    ember.manual_seed(args.seed)
    gen = ember.Generator().manual_seed(args.seed)
    model = build_model(config)
    if args.init:
        state = _load(args.init)
        _load_weights(
            model, state.get("model", state) if isinstance(state, dict) else state, args.init
        )
    opt = build_optimizer(model, config)
    scheduler = build_scheduler(opt, config)
    history = History()
    if args.resume:
        _resume(ckpt_path, config, model, opt, scheduler, history, gen)
        if rank == 0:
            print(f"resuming {ckpt_path} after epoch {len(history.records)}")
            with guard.writing(out):  # metrics as the checkpoint has them (a kill may fall between)
                write_metrics(out, history)
    train_x, train_y = load_data(args.data, train=True)
    test_x, test_y = load_data(args.data, train=False)
    train_loader = world.shard(
        make_loader(train_x, train_y, args.batch_size, True, gen), rank, size
    )
    test_loader = world.shard(make_loader(test_x, test_y, 1000, False, None), rank, size)
    trained = DistributedDataParallel(model) if size > 1 else model

    class Checkpointer(Callback):
        saved = len(history.records)  # the epoch the checkpoint holds

        def on_epoch_end(self, epoch: int, record: dict) -> None:
            record["world_size"] = size
            bad = guard.nonfinite_parameters(model)
            if bad:
                raise CommandError(
                    f"the weights became NaN or infinite in epoch {epoch} ({', '.join(bad)}): "
                    f"training diverged; {_kept(ckpt_path, self.saved)}",
                    status=1,
                )
            if rank == 0:
                with guard.deferred_interrupt(), guard.writing(out):
                    save_checkpoint(ckpt_path, model, opt, history, config, gen, scheduler)
                    write_metrics(out, history)
                    self.saved = epoch

    try:
        fit(
            trained,
            nn.CrossEntropyLoss(),
            opt,
            train_loader,
            epochs=args.epochs,
            val_loader=test_loader,
            scheduler=scheduler,
            callbacks=[checkpointer := Checkpointer()],
            progress=not args.no_progress and rank == 0,
            start_epoch=len(history.records) + 1,
            history=history,
        )
    except NonFiniteLossError as e:
        raise CommandError(f"{e}; {_kept(ckpt_path, checkpointer.saved)}", status=1) from None
    except KeyboardInterrupt:
        saved = checkpointer.saved
        raise KeyboardInterrupt(guard.interrupted(ckpt_path, saved, args.argv)) from None
    if not history.records:
        raise CommandError("nothing to train: the checkpoint already has all epochs")
    final = history.records[-1]
    if rank != 0:
        return final
    plots = plot_curves(out, history)
    print(summary(history))
    print(f"\ntest accuracy {final['val_accuracy']:.4f} after {int(final['epoch'])} epochs")
    print(
        f"wrote {ckpt_path}, {out / 'metrics.csv'}, {out / 'metrics.json'}"
        + "".join(f", {p}" for p in plots)
    )
    return final


def _kept(ckpt: Path, saved: int) -> str:
    """What the run folder still holds after a diverged run (nothing non-finite is saved)."""
    if not saved:
        return "no checkpoint was written"
    return f"{ckpt} still holds epoch {saved}, untouched"


def _resume(
    ckpt_path: Path,
    config: dict,
    model: nn.Module,
    opt: Any,
    scheduler: Any,
    history: History,
    gen: Any,
) -> None:
    """Load the run folder's checkpoint into the model, optimizer, schedule, history and RNGs."""
    if not ckpt_path.exists():
        raise CommandError(f"--resume: no checkpoint at {ckpt_path}")
    ckpt = _load(ckpt_path)
    if not isinstance(ckpt, dict) or not {"config", "model", "optimizer", "rng"} <= ckpt.keys():
        raise CommandError(f"--resume: {ckpt_path} is not a checkpoint written by ember train")
    guard.resume_conflicts(ckpt_path, ckpt["config"], config)
    _load_weights(model, ckpt["model"], ckpt_path)
    try:
        opt.load_state_dict(ckpt["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        history.records = list(ckpt["history"])
        ember.backend.default_generator.set_state(ckpt["rng"]["default"])
        gen.set_state(ckpt["rng"]["loader"])
    except (KeyError, TypeError, ValueError) as e:
        raise CommandError(f"--resume: {ckpt_path} is damaged or incomplete ({e!r})") from None


def _load_weights(model: nn.Module, state: Any, path: str | Path) -> None:
    """``model.load_state_dict(state)``, or one line saying why the file's weights do not fit."""
    if not isinstance(state, dict):
        raise CommandError(f"{path} holds a {type(state).__name__}, not a model's weights")
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        raise CommandError(f"the weights in {path} do not fit this model: {first}") from None


def _load(path: str | Path) -> Any:
    try:
        return ember.load(path)
    except (OSError, ValueError) as e:
        raise CommandError(f"cannot read checkpoint {path}: {e}") from None


def load_trained(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """The model of a checkpoint written by ``ember train`` (or ``pretrain``), and its config."""
    ckpt = _load(path)
    if (
        not isinstance(ckpt, dict)
        or not isinstance(ckpt.get("config"), dict)
        or "model" not in ckpt
    ):
        raise CommandError(f"{path} is not a checkpoint written by ember train")
    config = ckpt["config"]
    try:
        model = build_model(config)
    except (KeyError, TypeError, ValueError) as e:
        raise CommandError(f"{path} has unusable settings ({e!r})") from None
    _load_weights(model, ckpt["model"], path)
    return model, config


def run_eval(args: argparse.Namespace) -> dict[str, Any]:
    model, config = load_trained(args.checkpoint)
    images, labels = load_data(config.get("data", "fashion-mnist"), train=False)
    loader = make_loader(images, labels, args.batch_size, False, None)
    metrics = evaluate(model, loader, nn.CrossEntropyLoss())
    counts = confusion_matrix(model, loader, 10)
    accuracy, loss = metrics["accuracy"], metrics["loss"]
    print(f"test accuracy {accuracy:.4f}  loss {loss:.4f}  ({len(labels)} images)")
    print("\nconfusion matrix (rows: true class, columns: predicted)")
    print("     " + "".join(f"{c:>6}" for c in range(10)))
    for c, row in enumerate(counts):
        print(f"{c:>4} " + "".join(f"{v:>6}" for v in row))
    return {**metrics, "confusion": counts.tolist()}
