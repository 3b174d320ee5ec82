"""Loss landscape: random restarts end in different minima, with barriers between them.

A small tanh network (2 -> 4 -> 4 -> 2) is trained on two interleaved spirals from several seeds
(full-batch Adam, the same data and steps) to its final loss. Along the straight line
theta(a) = (1 - a) theta_1 + a theta_2 between two trained solutions the loss rises: the barrier
height is max over a in [0, 1] of L(theta(a)) - ((1 - a) L(theta_1) + a L(theta_2)), which is
never above zero for a convex loss. The same is measured between a solution and a copy of it
with the hidden units permuted, which computes the same function with the same loss: two
equally good minima that a convex function could not have without a flat valley between them.
Also the lecture's saddle z = xy, with its gradient and Hessian at 0 computed by ember.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

import numpy as np

from .. import nn
from ..autograd.functional import grad, hessian
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..nn import functional as F  # noqa: N812 - PyTorch's spelling
from ..nn.utils import parameters_to_vector, vector_to_parameters
from ..tensor import Tensor
from . import common

NAME = "loss-landscape"
DEFAULTS = {"restarts": 8, "hidden": 4, "points": 200, "steps": 2000, "lr": 0.02, "alphas": 61}
QUICK = {"restarts": 3, "points": 50, "steps": 200, "alphas": 13}
NOISE = 0.03
TURNS = 1.5


def spirals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on each of two interleaved spiral arms in [-1, 1]^2, labels 0 and 1."""
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * TURNS * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (TURNS * 2 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0.0, NOISE, (2 * n, 2))
    return x, np.repeat(np.array([0, 1]), n)


def network(hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2)
    )


def permute_hidden(model: nn.Sequential, rng: np.random.Generator) -> nn.Sequential:
    """A copy of ``model`` with the units of each hidden layer in a random order (same function):
    rows of the Linear into a layer and columns of the Linear out of it are permuted alike."""
    copy = network(model[0].out_features)
    copy.load_state_dict(model.state_dict())
    layers = [m for m in copy if isinstance(m, nn.Linear)]
    with no_grad():
        for into, out_of in itertools.pairwise(layers):
            order = tensor(rng.permutation(into.out_features))
            into.weight.copy_(into.weight[order])
            into.bias.copy_(into.bias[order])
            out_of.weight.copy_(out_of.weight[:, order])
    return copy


def interpolate(
    model: nn.Module, theta_1: Tensor, theta_2: Tensor, alphas: np.ndarray, x: Tensor, y: Tensor
) -> np.ndarray:
    """The loss at (1 - a) theta_1 + a theta_2 for each a (``model`` is overwritten)."""
    losses = []
    with no_grad():
        for a in alphas:
            a = float(a)
            vector_to_parameters((1 - a) * theta_1 + a * theta_2, model.parameters())
            losses.append(F.cross_entropy(model(x), y).item())
    return np.array(losses)


def barrier(alphas: np.ndarray, losses: np.ndarray) -> float:
    """max over a in [0, 1] of the loss above the chord between the two ends."""
    inside = (alphas >= 0) & (alphas <= 1)
    start, end = losses[alphas == 0][0], losses[alphas == 1][0]
    chord = (1 - alphas) * start + alphas * end
    return float(np.max((losses - chord)[inside]))


def saddle() -> dict[str, Any]:
    """z = xy at the origin: gradient and Hessian eigenvalues, by ember's autograd."""
    origin = tensor([0.0, 0.0])

    def f(p: Tensor) -> Tensor:
        return p[0] * p[1]

    h = hessian(f)(origin).numpy()
    return {
        "gradient_at_0": grad(f)(origin).numpy().tolist(),
        "hessian_at_0": h.tolist(),
        "hessian_eigenvalues": np.linalg.eigvalsh(h).tolist(),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--restarts", type=int, help=f"seeds trained ({DEFAULTS['restarts']})")
    parser.add_argument("--hidden", type=int, help=f"units per hidden layer ({DEFAULTS['hidden']})")
    parser.add_argument("--points", type=int, help=f"points per spiral arm ({DEFAULTS['points']})")
    parser.add_argument("--steps", type=int, help=f"Adam steps ({DEFAULTS['steps']})")
    parser.add_argument("--lr", type=float, help=f"peak learning rate ({DEFAULTS['lr']})")
    parser.add_argument(
        "--alphas", type=int, help=f"points on a in [-0.25, 1.25] ({DEFAULTS['alphas']})"
    )
    common.add_common_arguments(parser, NAME)


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = common.resolve(args, DEFAULTS, QUICK)
    if cfg["restarts"] < 2 or cfg["alphas"] < 3:
        raise SystemExit(f"ember demo {NAME}: needs --restarts >= 2 and --alphas >= 3")
    rng = common.seed_all(args.seed)
    out = common.Output(args.out)
    points, labels = spirals(cfg["points"], rng)
    x, y = tensor(points), tensor(labels)
    every = max(cfg["steps"] // 100, 1)

    models, curves, restarts = [], [], []
    for r in range(cfg["restarts"]):
        common.seed_all(1000 * args.seed + r)
        model = network(cfg["hidden"])
        curves.append(
            common.train_full_batch(
                model, lambda m: F.cross_entropy(m(x), y), cfg["steps"], cfg["lr"], every
            )
        )
        with no_grad():
            accuracy = float((model(x).numpy().argmax(1) == labels).mean())
        models.append(model)
        restarts.append({"restart": r, "final_loss": curves[-1][-1], "accuracy": accuracy})

    steps_per_quarter = max(1, (cfg["alphas"] - 1) // 6)  # so that 0 and 1 are on the grid
    alphas = np.round(np.linspace(-0.25, 1.25, 6 * steps_per_quarter + 1), 12)
    thetas = [parameters_to_vector(m.parameters()).detach() for m in models]
    probe = network(cfg["hidden"])
    paths = []
    for i, j in itertools.combinations(range(len(models)), 2):
        losses = interpolate(probe, thetas[i], thetas[j], alphas, x, y)
        paths.append({"from": i, "to": j, "losses": losses.tolist()})
    permuted = parameters_to_vector(permute_hidden(models[0], rng).parameters()).detach()
    losses = interpolate(probe, thetas[0], permuted, alphas, x, y)
    paths.append({"from": 0, "to": "0 permuted", "losses": losses.tolist()})
    inside = (alphas >= 0) & (alphas <= 1)
    for p in paths:
        p["barrier"] = barrier(alphas, np.array(p["losses"]))
        p["peak_loss"] = float(np.max(np.array(p["losses"])[inside]))

    result = {
        "settings": {**cfg, "seed": args.seed},
        "restarts": restarts,
        "alphas": alphas.tolist(),
        "paths": paths,
        "saddle": saddle(),
    }
    out.json("results.json", result)
    out.csv("restarts.csv", restarts)
    out.csv(
        "interpolation.csv",
        [
            {"from": p["from"], "to": p["to"], "alpha": float(a), "loss": loss}
            for p in paths
            for a, loss in zip(alphas, p["losses"])
        ],
    )
    _plot(out, restarts, curves, cfg["steps"], alphas, paths, result["saddle"])
    print(
        common.format_table(["restart", "final loss", "accuracy"], [r.values() for r in restarts])
    )
    pairs = np.array([p["barrier"] for p in paths[:-1]])
    rows = [
        ["seed 0 -> seed 1", paths[0]["barrier"], paths[0]["peak_loss"]],
        ["seed 0 -> seed 0 permuted", paths[-1]["barrier"], paths[-1]["peak_loss"]],
        [f"all {len(pairs)} pairs of restarts: min", float(pairs.min()), ""],
        ["median", float(np.median(pairs)), ""],
        ["max", float(pairs.max()), ""],
    ]
    print()
    print(common.format_table(["straight line", "barrier", "peak loss"], rows))
    s = result["saddle"]
    print(
        f"z = xy at 0: gradient {s['gradient_at_0']}, "
        f"Hessian eigenvalues {s['hessian_eigenvalues']}"
    )
    print(out.summary())
    return result


def _plot(
    out: common.Output,
    restarts: list[dict[str, Any]],
    curves: list[list[float]],
    steps: int,
    alphas: np.ndarray,
    paths: list[dict[str, Any]],
    saddle_numbers: dict[str, Any],
) -> None:
    plt = common.pyplot()
    if plt is None:
        return
    fig, (train, line) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    for r, curve in zip(restarts, curves):
        label = f"seed {r['restart']}: {curve[-1]:.3f}"
        train.semilogy(np.linspace(0, steps, len(curve)), curve, lw=1, label=label)
    train.set(xlabel="Adam step", ylabel="training loss", title="random restarts")
    train.legend(fontsize=7, ncol=2)
    for p in paths[1:-1]:
        if p["from"] == 0:
            line.plot(alphas, p["losses"], color="gray", lw=0.6, alpha=0.6)
    first, permuted = paths[0], paths[-1]
    label = f"seed 0 -> seed 1 (barrier {first['barrier']:.2f})"
    line.plot(alphas, first["losses"], "C0", lw=2, label=label)
    label = f"seed 0 -> seed 0, units permuted (barrier {permuted['barrier']:.2f})"
    line.plot(alphas, permuted["losses"], "C3", lw=2, label=label)
    line.plot([], [], color="gray", lw=0.6, label="seed 0 -> the other seeds")
    line.axvline(0, color="k", lw=0.5)
    line.axvline(1, color="k", lw=0.5)
    line.set(xlabel=r"$a$ in $(1 - a)\,\theta_1 + a\,\theta_2$", ylabel="training loss")
    line.set_title("loss along the straight line between two solutions")
    line.set_yscale("log")
    line.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    out.figure("loss_landscape.png", fig)

    fig = plt.figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.add_subplot(projection="3d", computed_zorder=False)
    grid = np.linspace(-1, 1, 21)
    u, v = np.meshgrid(grid, grid)
    ax.plot_surface(u, v, u * v, cmap="coolwarm", lw=0.2, edgecolor="gray", alpha=0.6, zorder=1)
    ax.plot(grid, grid, grid**2, "k", lw=2, zorder=3, label="along x = y: z = x$^2$ (up)")
    ax.plot(grid, -grid, -(grid**2), "k--", lw=2, zorder=3, label="along x = -y: z = -x$^2$ (down)")
    ax.scatter([0], [0], [0], color="k", s=30, zorder=4)
    ax.set(xlabel="x", ylabel="y", zlabel="z")
    low, high = saddle_numbers["hessian_eigenvalues"]
    title = f"the saddle z = xy: gradient 0 at 0, Hessian eigenvalues {low:g}, {high:g}"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    out.figure("saddle.png", fig)
