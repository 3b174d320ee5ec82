"""Depth efficiency: the sawtooth T^k is exact at depth k, width 2; one hidden layer needs ~2^k.

The tent map T(x) = 2 relu(x) - 4 relu(x - 1/2) sends [0, 1] onto itself; composed k times it is
a sawtooth with 2^k linear pieces. A ReLU network of depth k and width 2 computes it exactly
(each layer applies T once: 6k + 1 parameters), while a network with one hidden layer has one
breakpoint per unit and so needs at least 2^k - 1 units. The experiment builds the exact deep
network, then trains (full-batch Adam, best of a few restarts) one-hidden-layer networks and
depth-k networks of growing width, and reports the error of each against its parameter count.
All networks read u = 2x - 1; the trained one-hidden-layer networks start with their
breakpoints spread over [-1, 1], the deep ones with PyTorch's default initialisation.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .. import nn
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from . import common

NAME = "depth-efficiency"
DEFAULTS = {
    "k": 4,
    "shallow_widths": [4, 8, 16, 32, 64, 128],
    "deep_widths": [2, 4, 8, 16],
    "steps": 6000,
    "lr": 0.01,
    "restarts": 2,
}
QUICK = {"k": 3, "shallow_widths": [2, 8], "deep_widths": [2], "steps": 150, "restarts": 1}
POINTS_PER_PIECE = 16
SLOPE = 10.0  # initial slopes of the one-hidden-layer units, U(-SLOPE, SLOPE)
FLOOR = 1e-7  # where an error of zero is drawn on the log axis
MAX_K_SHOWN = 12  # the panel of exact sizes goes up to this k


def tent(x: np.ndarray, k: int = 1) -> np.ndarray:
    """T^k(x) for x in [0, 1], T(x) = 1 - |2x - 1|."""
    for _ in range(k):
        x = 1.0 - np.abs(2.0 * x - 1.0)
    return x


def relu_network(depth: int, width: int) -> nn.Sequential:
    """1 -> ``depth`` hidden ReLU layers of ``width`` units -> 1 (PyTorch's default init)."""
    layers: list[nn.Module] = []
    fan_in = 1
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.ReLU()]
        fan_in = width
    layers.append(nn.Linear(fan_in, 1))
    return nn.Sequential(*layers)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def exact_sizes(k: int) -> tuple[int, int]:
    """(parameters of the exact deep network, fewest parameters of an exact shallow one)."""
    return 6 * k + 1, 3 * (2**k - 1) + 1


def sawtooth_network(k: int) -> nn.Sequential:
    """The exact construction on u = 2x - 1: hidden layer j holds relu(y), relu(y - 1/2) of
    y = T^(j-1)(x), and the next layer combines them as 2 relu(y) - 4 relu(y - 1/2) = T(y)."""
    model = relu_network(k, 2)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    combine = np.array([[2.0, -4.0], [2.0, -4.0]])
    with no_grad():
        linears[0].weight.copy_(tensor([[0.5], [0.5]]))  # x = (u + 1) / 2
        linears[0].bias.copy_(tensor([0.5, 0.0]))
        for layer in linears[1:-1]:
            layer.weight.copy_(tensor(combine))
            layer.bias.copy_(tensor([0.0, -0.5]))
        linears[-1].weight.copy_(tensor(combine[:1]))
        linears[-1].bias.zero_()
    return model


def layer_outputs(model: nn.Sequential, u: Tensor) -> list[np.ndarray]:
    """2 h1 - 4 h2 after each hidden ReLU of ``sawtooth_network``: T^1(x), ..., T^k(x)."""
    values = []
    with no_grad():
        for module in model[:-1]:
            u = module(u)
            if isinstance(module, nn.ReLU):
                values.append((2 * u[:, 0] - 4 * u[:, 1]).numpy())
    return values


def _errors(model: nn.Module, u: Tensor, y: np.ndarray) -> tuple[np.ndarray, float, float]:
    with no_grad():
        h = model(u).numpy()[:, 0].astype(np.float64)
    error = np.abs(h - y)
    return h, float(np.sqrt(np.mean(error**2))), float(error.max())


def train_best(
    depth: int, width: int, u: Tensor, target: Tensor, cfg: dict[str, Any], seed: int
) -> tuple[nn.Module, float]:
    """The network with the lowest final training loss over ``cfg['restarts']`` seeds."""
    best, best_loss = None, float("inf")
    for restart in range(cfg["restarts"]):
        common.seed_all(seed * 1000 + restart)
        model = relu_network(depth, width)
        if depth == 1:
            common.spread_units(model[0], SLOPE)
        curve = common.train_full_batch(
            model, lambda m: ((m(u) - target) ** 2).mean(), cfg["steps"], cfg["lr"], every=10**9
        )
        if curve[-1] < best_loss:
            best, best_loss = model, curve[-1]
    assert best is not None
    return best, best_loss


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, help=f"tent compositions, 2^k pieces ({DEFAULTS['k']})")
    parser.add_argument(
        "--shallow-widths", type=common.int_list, help="one-hidden-layer widths (4,8,...,128)"
    )
    parser.add_argument(
        "--deep-widths", type=common.int_list, help="widths of the depth-k networks (2,4,8,16)"
    )
    parser.add_argument("--steps", type=int, help=f"Adam steps per network ({DEFAULTS['steps']})")
    parser.add_argument("--lr", type=float, help=f"peak learning rate ({DEFAULTS['lr']})")
    parser.add_argument("--restarts", type=int, help=f"seeds per network ({DEFAULTS['restarts']})")
    common.add_common_arguments(parser, NAME)


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = common.resolve(args, DEFAULTS, QUICK)
    k = cfg["k"]
    if k < 1 or cfg["restarts"] < 1:
        raise SystemExit(f"ember demo {NAME}: --k and --restarts must be at least 1")
    out = common.Output(args.out)
    x_train = np.linspace(0.0, 1.0, POINTS_PER_PIECE * 2**k + 1)
    x_grid = np.linspace(0.0, 1.0, 4 * POINTS_PER_PIECE * 2**k + 1)
    y_grid = tent(x_grid, k)
    u_train, u_grid = tensor(2 * x_train[:, None] - 1), tensor(2 * x_grid[:, None] - 1)
    target = tensor(tent(x_train, k)[:, None])

    exact = sawtooth_network(k)
    h, rms, sup = _errors(exact, u_grid, y_grid)
    rows = [_row("deep, exact construction", k, 2, exact, rms, sup, None)]
    fits = {"exact": h}
    for kind, depth, widths in (
        ("shallow, trained", 1, cfg["shallow_widths"]),
        (f"depth {k}, trained", k, cfg["deep_widths"]),
    ):
        for width in widths:
            model, loss = train_best(depth, width, u_train, target, cfg, args.seed)
            h, rms, sup = _errors(model, u_grid, y_grid)
            rows.append(_row(kind, depth, width, model, rms, sup, loss))
            fits[f"{kind}:{width}"] = h
            print(f"  {kind:18s} width {width:4d}: rms error {rms:.3g}")

    deep_exact, shallow_exact = exact_sizes(k)
    result = {
        "k": k,
        "pieces": 2**k,
        "exact_deep_parameters": deep_exact,
        "exact_shallow_parameters_at_least": shallow_exact,
        "settings": {**cfg, "seed": args.seed, "train_points": len(x_train)},
        "results": rows,
    }
    out.json("results.json", result)
    out.csv("results.csv", rows)
    _plot(out, k, exact, u_grid, x_grid, y_grid, fits, rows)
    print()
    print(
        common.format_table(
            ["network", "depth", "width", "params", "rms error", "sup error", "train mse"],
            [list(r.values()) for r in rows],
        )
    )
    print(
        f"exact: depth {k} x width 2 = {deep_exact} parameters; one hidden layer needs at least "
        f"2^{k} - 1 = {2**k - 1} units = {shallow_exact} parameters"
    )
    print(out.summary())
    return result


def _row(
    kind: str, depth: int, width: int, model: nn.Module, rms: float, sup: float, loss: float | None
) -> dict[str, Any]:
    return {
        "network": kind,
        "depth": depth,
        "width": width,
        "parameters": parameter_count(model),
        "rms_error": rms,
        "sup_error": sup,
        "train_mse": loss,
    }


def _plot(
    out: common.Output,
    k: int,
    exact: nn.Sequential,
    u: Tensor,
    x: np.ndarray,
    y: np.ndarray,
    fits: dict[str, np.ndarray],
    rows: list[dict[str, Any]],
) -> None:
    plt = common.pyplot()
    if plt is None:
        return
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.8), layout="constrained")
    (construction, sizes), (compare, errors) = axes
    for j, values in enumerate(layer_outputs(exact, u), start=1):
        construction.plot(x, values + 1.2 * (j - 1), lw=1)
        construction.text(1.02, 1.2 * (j - 1) + 0.4, f"$T^{{{j}}}$", fontsize=8)
    construction.set(xlabel="x", yticks=[], title="the construction: layer j computes $T^j$")

    ks = np.arange(1, max(k, MAX_K_SHOWN) + 1)
    deep, shallow = zip(*(exact_sizes(int(j)) for j in ks))
    sizes.semilogy(ks, deep, "o-", label="depth k, width 2 (exact)")
    sizes.semilogy(ks, shallow, "s-", label="one hidden layer (lower bound)")
    sizes.set(xlabel="k (the sawtooth has $2^k$ pieces)", ylabel="parameters")
    sizes.set_title("parameters to represent $T^k$ exactly")
    sizes.legend(fontsize=8)
    sizes.grid(True, which="both", alpha=0.3)

    budget = rows[0]["parameters"]
    compare.plot(x, y, "k", lw=2.5, label=f"$T^{{{k}}}$ = the exact deep net ({budget} params)")
    for kind in ("shallow, trained", f"depth {k}, trained"):
        candidates = [r for r in rows if r["network"] == kind]
        if candidates:
            r = min(candidates, key=lambda r: abs(np.log(r["parameters"] / budget)))
            label = f"{kind}, {r['parameters']} params"
            compare.plot(x, fits[f"{kind}:{r['width']}"], lw=1.2, label=label)
    compare.set(xlabel="x", title="trained fits with about the same parameter count")
    compare.legend(fontsize=7, loc="lower right")

    for kind, style in (("shallow, trained", "o-"), (f"depth {k}, trained", "s-")):
        data = [(r["parameters"], r["rms_error"]) for r in rows if r["network"] == kind]
        if data:
            errors.loglog(*zip(*data), style, label=kind)
    label = f"depth {k}, exact (error {rows[0]['rms_error']:.1g})"
    errors.loglog([budget], [max(rows[0]["rms_error"], FLOOR)], "k*", ms=12, label=label)
    needed = exact_sizes(k)[1]
    errors.axvline(needed, color="gray", ls=":", label=f"one layer exact needs >= {needed}")
    errors.set(xlabel="parameters", ylabel="rms error on a dense grid")
    errors.set_title(f"error against size, $T^{{{k}}}$")
    errors.legend(fontsize=7)
    errors.grid(True, which="both", alpha=0.3)
    out.figure("depth_efficiency.png", fig)
