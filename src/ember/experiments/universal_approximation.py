"""Universal approximation: one sigmoid hidden layer of n units, trained to fit g on [a, b].

Cybenko (1989): for every continuous g and every eps > 0 some finite n and some weights give
max |h(x) - g(x)| < eps. That is existence; this experiment shows what gradient training reaches.
For each n the network h(x) = c + sum_i v_i sigmoid(w_i u + b_i), u = x rescaled to [-1, 1], is
fitted by full-batch Adam (cosine-annealed learning rate) to g at evenly spaced training points,
and the sup-norm error is measured on a 16 times denser grid. Hidden units start with slopes
w_i ~ U(-10, 10) and steps at centres spread uniformly over [-1, 1].
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
from .expression import Expression, ExpressionError

NAME = "universal-approximation"
DEFAULT_FUNCTION = "sin(3*x) + 0.3*x**2"
SLOPE = 10.0  # hidden slopes start in U(-SLOPE, SLOPE) on the rescaled input
DEFAULTS = {
    "units": [2**k for k in range(9)],
    "steps": 20000,
    "lr": 0.03,
    "points": 256,
}
QUICK = {"units": [1, 4, 16], "steps": 300, "points": 64}
SHOWN = 4  # fits drawn in the figure: the three smallest n and the largest


def _expression(text: str) -> Expression:
    try:
        return Expression(text)
    except ExpressionError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--function",
        type=_expression,
        default=Expression(DEFAULT_FUNCTION),
        help="g as an expression of x with numbers, + - * / ** %%, pi, e and NumPy functions "
        f"such as sin, exp, abs (default {DEFAULT_FUNCTION!r})",
    )
    parser.add_argument("--interval", type=float, nargs=2, default=[-3.0, 3.0], metavar=("A", "B"))
    parser.add_argument("--units", type=common.int_list, help="hidden widths (1,2,4,...,256)")
    parser.add_argument("--steps", type=int, help=f"Adam steps per width ({DEFAULTS['steps']})")
    parser.add_argument("--lr", type=float, help=f"peak learning rate ({DEFAULTS['lr']})")
    parser.add_argument("--points", type=int, help=f"training points ({DEFAULTS['points']})")
    common.add_common_arguments(parser, NAME)


def sigmoid_network(units: int) -> nn.Sequential:
    """1 -> units (sigmoid) -> 1, with the hidden steps spread over [-1, 1]."""
    model = nn.Sequential(nn.Linear(1, units), nn.Sigmoid(), nn.Linear(units, 1))
    common.spread_units(model[0], SLOPE)
    return model


def fit(units: int, u: Tensor, target: Tensor, steps: int, lr: float) -> tuple[nn.Module, list]:
    """A sigmoid network of ``units`` trained on (u, target) by mean squared error."""
    model = sigmoid_network(units)
    curve = common.train_full_batch(
        model, lambda m: ((m(u) - target) ** 2).mean(), steps, lr, every=max(steps // 100, 1)
    )
    return model, curve


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = common.resolve(args, DEFAULTS, QUICK)
    a, b = args.interval
    if not a < b:
        raise SystemExit(f"ember demo {NAME}: --interval needs A < B, got {a} {b}")
    if cfg["points"] < 2 or cfg["steps"] < 1:
        raise SystemExit(f"ember demo {NAME}: needs --points >= 2 and --steps >= 1")
    g: Expression = args.function
    x_train = np.linspace(a, b, cfg["points"])
    x_grid = np.linspace(a, b, 16 * (cfg["points"] - 1) + 1)
    try:
        y_train, y_grid = g(x_train), g(x_grid)
    except ExpressionError as e:
        raise SystemExit(f"ember demo {NAME}: --function: {e}") from None
    out = common.Output(args.out)
    mid, half = (a + b) / 2, (b - a) / 2
    shift, scale = float(y_train.mean()), float(y_train.std()) or 1.0
    u_train = tensor(((x_train - mid) / half)[:, None])
    u_grid = tensor(((x_grid - mid) / half)[:, None])
    target = tensor(((y_train - shift) / scale)[:, None])

    rows, fits, curves = [], {}, {}
    for n in cfg["units"]:
        common.seed_all(args.seed)
        model, curve = fit(n, u_train, target, cfg["steps"], cfg["lr"])
        with no_grad():
            h = model(u_grid).numpy()[:, 0].astype(np.float64) * scale + shift
        error = np.abs(h - y_grid)
        rows.append(
            {
                "units": n,
                "parameters": 3 * n + 1,
                "sup_error": float(error.max()),
                "at_x": float(x_grid[error.argmax()]),
                "rms_error": float(np.sqrt(np.mean(error**2))),
                "train_mse": curve[-1] * scale**2,
            }
        )
        fits[n], curves[n] = h, np.array(curve) * scale**2
        print(f"  n = {n:4d}: sup error {error.max():.4g}")

    result = {
        "function": g.text,
        "interval": [a, b],
        "settings": {**cfg, "seed": args.seed, "grid_points": len(x_grid)},
        "results": rows,
    }
    out.json("results.json", result)
    out.csv("results.csv", rows)
    _plot(out, g, x_grid, y_grid, fits, curves, rows, cfg["steps"])
    print()
    print(
        common.format_table(
            ["units", "params", "sup |h-g|", "at x", "rms", "train mse"],
            [list(r.values()) for r in rows],
        )
    )
    print(out.summary())
    return result


def _plot(
    out: common.Output,
    g: Expression,
    x: np.ndarray,
    y: np.ndarray,
    fits: dict[int, np.ndarray],
    curves: dict[int, np.ndarray],
    rows: list[dict[str, Any]],
    steps: int,
) -> None:
    plt = common.pyplot()
    if plt is None:
        return
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    units = list(fits)
    for n in dict.fromkeys(units[: SHOWN - 1] + units[-1:]):  # the smallest and the largest
        left.plot(x, fits[n], lw=1.2, label=f"n = {n}")
    left.plot(x, y, "k--", lw=1.5, label=f"g(x) = {g.text}")
    left.set(xlabel="x", title="fits")
    left.legend(fontsize=7)
    n_values = [r["units"] for r in rows]
    middle.loglog(n_values, [r["sup_error"] for r in rows], "o-", label="sup |h - g| (grid)")
    middle.loglog(n_values, [r["rms_error"] for r in rows], "s--", label="rms error (grid)")
    middle.set(xlabel="hidden units n", ylabel="error", title="error against n")
    middle.legend(fontsize=7)
    middle.grid(True, which="both", alpha=0.3)
    for n, curve in curves.items():
        right.semilogy(np.linspace(0, steps, len(curve)), curve, lw=1, label=f"n = {n}")
    right.set(xlabel="Adam step", ylabel="training mse", title="training")
    right.legend(fontsize=6, ncol=2)
    out.figure("universal_approximation.png", fig)
