"""Vanishing gradients: per-layer gradient norms of a deep MLP under five activation/init choices.

A network of 8 hidden layers (width 256) is trained on a Fashion-MNIST subset with SGD
(momentum 0.9) from five starts: sigmoid with weights N(0, 0.01^2); sigmoid with Xavier
(Glorot uniform) weights; the same small-init sigmoid network after greedy layer-wise
autoencoder pre-training (``ember.pretrain.greedy_layerwise``); tanh with Xavier weights; ReLU
with Kaiming (He normal) weights; biases start at zero. The Frobenius norm of dLoss/dW of every
Linear is measured on a fixed probe batch at initialisation and after every epoch. Backprop
multiplies the signal by W^T diag(f'(z)) per layer: with sigmoid (f' <= 1/4) and weights of
size 0.01 that factor is about 0.01 * sqrt(256) / 4 = 0.04, so the first layer's gradient is
smaller than the last's by roughly 0.04^8.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import datasets, models, nn, optim, pretrain
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..nn import functional as F  # noqa: N812 - PyTorch's spelling
from ..tensor import Tensor
from . import common

NAME = "vanishing-gradients"
DEFAULTS = {
    "train_size": 5000,
    "test_size": 2000,
    "probe_size": 1000,
    "depth": 8,
    "width": 256,
    "epochs": 5,
    "lr": 0.05,
    "batch_size": 64,
    "pretrain_epochs": 2,
}
QUICK = {
    "train_size": 400,
    "test_size": 200,
    "probe_size": 200,
    "width": 64,
    "epochs": 1,
    "pretrain_epochs": 1,
}
SMALL_STD = 0.01


@dataclass(frozen=True)
class Setting:
    """One start: activation, weight initialisation, and whether it is pre-trained."""

    name: str
    activation: str
    init: str
    pretrained: bool = False

    @property
    def label(self) -> str:
        return f"{self.activation}, {self.init}" + (", pre-trained" if self.pretrained else "")


SETTINGS = (
    Setting("sigmoid-small", "sigmoid", "N(0, 0.01^2)"),
    Setting("sigmoid-xavier", "sigmoid", "Xavier"),
    Setting("sigmoid-pretrained", "sigmoid", "N(0, 0.01^2)", pretrained=True),
    Setting("tanh-xavier", "tanh", "Xavier"),
    Setting("relu-kaiming", "relu", "Kaiming"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for key, text in (
        ("train_size", "training images"),
        ("test_size", "test images"),
        ("probe_size", "training images the gradient norms are measured on"),
        ("depth", "hidden layers"),
        ("width", "units per hidden layer"),
        ("epochs", "training epochs"),
        ("batch_size", "minibatch size"),
        ("pretrain_epochs", "autoencoder epochs per layer"),
    ):
        flag = "--" + key.replace("_", "-")
        parser.add_argument(flag, type=int, help=f"{text} ({DEFAULTS[key]})")
    parser.add_argument("--lr", type=float, help=f"SGD learning rate ({DEFAULTS['lr']})")
    common.add_common_arguments(parser, NAME)


def build(setting: Setting, depth: int, width: int) -> nn.Sequential:
    """The MLP 784 -> width x depth -> 10 with the setting's activation and initial weights."""
    model = models.mlp(784, [width] * depth, 10, setting.activation)
    for layer in linears(model):
        if setting.init == "Xavier":
            nn.init.xavier_uniform_(layer.weight)
        elif setting.init == "Kaiming":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        else:
            nn.init.normal_(layer.weight, 0.0, SMALL_STD)
        nn.init.zeros_(layer.bias)
    return model


def linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def gradient_norms(model: nn.Module, x: Tensor, y: Tensor) -> list[float]:
    """||dLoss/dW|| of every Linear, first to last, for the mean cross-entropy on (x, y)."""
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    norms = [float(np.linalg.norm(layer.weight.grad.numpy())) for layer in linears(model)]
    model.zero_grad()
    return norms


def _evaluate(model: nn.Module, x: Tensor, y: Tensor) -> tuple[float, float]:
    with no_grad():
        out = model(x)
        loss = F.cross_entropy(out, y).item()
    return loss, float((out.numpy().argmax(1) == y.numpy()).mean())


def load_subset(train: bool, size: int, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """``size`` random Fashion-MNIST images (flattened, in [0, 1]) and their labels."""
    try:
        ds = datasets.FashionMNIST(train=train)
    except (FileNotFoundError, RuntimeError) as e:
        raise SystemExit(f"ember demo {NAME}: {e}") from None
    index = np.sort(rng.choice(len(ds), size=min(size, len(ds)), replace=False))
    images = ds.data[index].reshape(len(index), -1).astype(np.float32) / 255.0
    return tensor(images), tensor(ds.targets.numpy()[index])


def train_setting(
    setting: Setting, data: dict[str, Tensor], cfg: dict[str, Any], seed: int
) -> dict[str, Any]:
    """Build, maybe pre-train, and train one setting; its norms and curves per epoch."""
    common.seed_all(seed)
    model = build(setting, cfg["depth"], cfg["width"])
    start = time.perf_counter()
    if setting.pretrained:
        pretrain.greedy_layerwise(
            model,
            data["x"],
            method="autoencoder",
            epochs=cfg["pretrain_epochs"],
            batch_size=cfg["batch_size"],
            progress=False,
        )
    pretrain_seconds = time.perf_counter() - start
    probe = (data["x"][: cfg["probe_size"]], data["y"][: cfg["probe_size"]])
    optimizer = optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
    rng = np.random.default_rng(seed)
    norms, curve = [gradient_norms(model, *probe)], [_record(0, model, data)]
    n = len(data["x"])
    for epoch in range(1, cfg["epochs"] + 1):
        order = rng.permutation(n)
        for i in range(0, n, cfg["batch_size"]):
            batch = tensor(order[i : i + cfg["batch_size"]])
            optimizer.zero_grad()
            F.cross_entropy(model(data["x"][batch]), data["y"][batch]).backward()
            optimizer.step()
        norms.append(gradient_norms(model, *probe))
        curve.append(_record(epoch, model, data))
    return {
        "setting": setting.name,
        "label": setting.label,
        "gradient_norms": norms,
        "curve": curve,
        "pretrain_seconds": pretrain_seconds,
        "seconds": time.perf_counter() - start,
    }


def _record(epoch: int, model: nn.Module, data: dict[str, Tensor]) -> dict[str, float]:
    train_loss, train_acc = _evaluate(model, data["x"], data["y"])
    test_loss, test_acc = _evaluate(model, data["test_x"], data["test_y"])
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "train_accuracy": train_acc,
        "test_loss": test_loss,
        "test_accuracy": test_acc,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = common.resolve(args, DEFAULTS, QUICK)
    rng = common.seed_all(args.seed)
    out = common.Output(args.out)
    x, y = load_subset(True, cfg["train_size"], rng)
    test_x, test_y = load_subset(False, cfg["test_size"], rng)
    data = {"x": x, "y": y, "test_x": test_x, "test_y": test_y}
    runs = []
    for setting in SETTINGS:
        runs.append(train_setting(setting, data, cfg, args.seed))
        r = runs[-1]
        print(
            f"  {setting.label:32s} first/last gradient at init "
            f"{r['gradient_norms'][0][0] / r['gradient_norms'][0][-1]:.2e}, "
            f"test accuracy {r['curve'][-1]['test_accuracy']:.3f} ({r['seconds']:.0f} s)"
        )
    result = {"settings": {**cfg, "seed": args.seed}, "runs": runs}
    out.json("results.json", result)
    out.csv(
        "gradient_norms.csv",
        [
            {"setting": r["setting"], "epoch": epoch, "layer": layer + 1, "grad_norm": value}
            for r in runs
            for epoch, norms in enumerate(r["gradient_norms"])
            for layer, value in enumerate(norms)
        ],
    )
    out.csv("training.csv", [{"setting": r["setting"], **c} for r in runs for c in r["curve"]])
    _plot(out, runs)
    print()
    print(
        common.format_table(
            ["setting", "first/last init", "first/last end", "train loss", "test acc"],
            [
                [
                    r["label"],
                    r["gradient_norms"][0][0] / r["gradient_norms"][0][-1],
                    r["gradient_norms"][-1][0] / r["gradient_norms"][-1][-1],
                    r["curve"][-1]["train_loss"],
                    r["curve"][-1]["test_accuracy"],
                ]
                for r in runs
            ],
        )
    )
    print(out.summary())
    return result


def _plot(out: common.Output, runs: list[dict[str, Any]]) -> None:
    plt = common.pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", sharey=True)
    for ax, stage, title in ((axes[0], 0, "at initialisation"), (axes[1], -1, "after training")):
        for r in runs:
            norms = r["gradient_norms"][stage]
            ax.semilogy(range(1, len(norms) + 1), norms, "o-", ms=3, label=r["label"])
        ax.set(xlabel="layer (1 = input side, last = output layer)", title=title)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("||dLoss/dW||")
    axes[1].legend(fontsize=7)
    out.figure("gradient_norms.png", fig)

    fig, (loss, accuracy, first) = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    for r in runs:
        epochs = [c["epoch"] for c in r["curve"]]
        loss.plot(epochs, [c["train_loss"] for c in r["curve"]], "o-", ms=3, label=r["label"])
        accuracy.plot(epochs, [c["test_accuracy"] for c in r["curve"]], "o-", ms=3)
        first.semilogy(epochs, [n[0] for n in r["gradient_norms"]], "o-", ms=3)
    loss.set(xlabel="epoch", ylabel="training loss", title="training loss")
    accuracy.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    first.set(xlabel="epoch", ylabel="||dLoss/dW1||", title="first layer's gradient")
    loss.legend(fontsize=7)
    out.figure("training.png", fig)
