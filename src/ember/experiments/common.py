"""What the experiments share: the common arguments, seeding, writing numbers (JSON, CSV) and
figures (PNG, when matplotlib is installed), a printed table and a full-batch training loop."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..autograd.grad_mode import no_grad
from ..creation import empty
from ..optim.lr_scheduler import CosineAnnealingLR
from ..tensor import Tensor

__all__ = [
    "Output",
    "add_common_arguments",
    "format_table",
    "int_list",
    "pyplot",
    "resolve",
    "seed_all",
    "spread_units",
    "train_full_batch",
]


def add_common_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """--out (default runs/NAME), --seed and --quick."""
    parser.add_argument("--out", default=f"runs/{name}", help=f"output folder (runs/{name})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--quick", action="store_true", help="a small version that finishes in seconds"
    )


def resolve(
    args: argparse.Namespace, defaults: dict[str, Any], quick: dict[str, Any]
) -> dict[str, Any]:
    """The settings of a run: each value the user gave, else the ``quick`` value under --quick,
    else the default. Arguments that take these settings must default to None."""
    chosen = {**defaults, **quick} if args.quick else dict(defaults)
    return {k: chosen[k] if getattr(args, k) is None else getattr(args, k) for k in defaults}


def int_list(text: str) -> list[int]:
    """An argparse type: positive integers separated by commas, such as ``1,2,4``."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integers separated by commas: {text!r}"
        ) from None
    if min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers: {text!r}")
    return values


def seed_all(seed: int) -> np.random.Generator:
    """Seed ember's global generator (parameter init) and return a NumPy generator for data."""
    backend.manual_seed(seed)
    return np.random.default_rng(seed)


def spread_units(layer: nn.Linear, slope: float) -> nn.Linear:
    """Initialise a Linear(1, n) so unit i is w_i (u - c_i): slopes w_i ~ U(-slope, slope) and
    centres c_i ~ U(-1, 1), so the units' transitions are spread over inputs u in [-1, 1]."""
    with no_grad():
        layer.weight.uniform_(-slope, slope)
        centres = empty(layer.out_features).uniform_(-1.0, 1.0)
        layer.bias.copy_(-layer.weight[:, 0] * centres)
    return layer


_NOTICE = "note: matplotlib is not installed, so no plots (pip install matplotlib)"


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend, or None after a one-line notice."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(_NOTICE)
        return None
    return plt


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain text table: floats with 4 significant digits, the first column left-aligned and
    the others right-aligned."""
    cells = [list(headers)] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])])
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Output:
    """The output folder of one run; remembers every file written, for the closing message."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files: list[Path] = []

    def _path(self, name: str) -> Path:
        path = self.folder / name
        self.files.append(path)
        return path

    def json(self, name: str, data: Any) -> Path:
        path = self._path(name)
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    def csv(self, name: str, rows: Sequence[dict[str, Any]]) -> Path:
        """One row per dict; the columns are the keys of the first row."""
        path = self._path(name)
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else [])
            writer.writeheader()
            writer.writerows(rows)
        return path

    def figure(self, name: str, fig: Any) -> Path:
        """Save a matplotlib figure as a small PNG (80 dpi, 256 colours) and close it."""
        import matplotlib.pyplot as plt
        from PIL import Image  # a dependency of matplotlib

        path = self._path(name)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        Image.open(buffer).convert("RGB").quantize(colors=256).save(path, optimize=True)
        return path

    def summary(self) -> str:
        return f"wrote {', '.join(str(p) for p in self.files)}"


def train_full_batch(
    model: nn.Module,
    loss_fn: Callable[[Tensor], Tensor],
    steps: int,
    lr: float,
    every: int = 1,
) -> list[float]:
    """Adam on the whole data set (``loss_fn(model) -> scalar``) with the learning rate annealed
    to zero on a cosine; returns the loss every ``every`` steps and after the last one."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    schedule = CosineAnnealingLR(optimizer, T_max=max(steps, 1))
    curve = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % every == 0:
            curve.append(loss.item())
    with no_grad():
        curve.append(loss_fn(model).item())
    return curve
