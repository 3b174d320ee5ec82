"""First-layer features as 28x28 images after pre-training and after fine-tuning.

Each hidden unit of the first layer has 784 input weights, one per pixel: shown as a 28x28 image
they are the pattern that excites the unit most. A network is pre-trained without labels
(autoencoder, RBM) or left at its random initialisation, its first layer is drawn, then the
whole network is fine-tuned with labels exactly as in ``ember demo pretraining`` and the same
units are drawn again on the same grey scale (mid-grey is zero; each unit is scaled by its
largest |weight| before or after fine-tuning), with how far fine-tuning moved the weights.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from ..cli.train import _positive
from .common import Output, add_common_arguments, format_table, pyplot
from .pretraining import (
    METHODS,
    _list,
    add_protocol_arguments,
    build_network,
    finetune,
    hidden_linears,
    labelled_split,
    load_images,
    machine,
    preset_name,
    pretrain_stack,
    resolve,
    subset,
)

PRESETS: dict[str, dict[str, Any]] = {
    "default": {
        "methods": ["none", "autoencoder", "rbm"],
        "depths": [1],
        "width": 500,
        "labels": [1000],
        "seeds": 1,
        "unlabelled": 10_000,
        "pretrain_epochs": 3,
        "steps": 1500,
        "epochs": 100,
        "test_size": None,
    },
    "quick": {
        "methods": ["none", "autoencoder", "rbm"],
        "depths": [1],
        "width": 32,
        "labels": [100],
        "seeds": 1,
        "unlabelled": 300,
        "pretrain_epochs": 1,
        "steps": 20,
        "epochs": 20,
        "test_size": 500,
    },
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser, "features")
    parser.add_argument(
        "--methods", type=_list(str, METHODS), default=None, help="(none,autoencoder,rbm)"
    )
    parser.add_argument("--depth", type=_positive(int), default=None, help="hidden layers (1)")
    parser.add_argument(
        "--labels", type=_positive(int), default=None, help="labelled examples (1000)"
    )
    parser.add_argument(
        "--units", type=_positive(int), default=100, help="hidden units drawn (100)"
    )
    add_protocol_arguments(parser)


def mosaic(weights: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Rows of ``weights`` (units x 784) divided by ``scale`` as 28x28 tiles in a square grid,
    separated by NaN lines."""
    n = len(weights)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.full((rows * 29 + 1, cols * 29 + 1), np.nan)
    for i, (w, s) in enumerate(zip(weights, scale)):
        r, c = divmod(i, cols)
        canvas[1 + 29 * r : 29 * (r + 1), 1 + 29 * c : 29 * (c + 1)] = w.reshape(28, 28) / s
    return canvas


def draw(out: Output, name: str, weights: np.ndarray, scale: np.ndarray, title: str) -> None:
    plt = pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(6, 6.3))
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    ax.imshow(mosaic(weights, scale), cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    out.figure(name, fig)


def change_summary(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """Mean |w| before, mean |change|, and the relative change ||after - before|| / ||before||."""
    delta = after - before
    return {
        "mean_abs_weight": float(np.abs(before).mean()),
        "mean_abs_change": float(np.abs(delta).mean()),
        "relative_change": float(np.linalg.norm(delta) / np.linalg.norm(before)),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    name = preset_name(args)
    spec = argparse.Namespace(**vars(args))
    spec.depths = None if args.depth is None else [args.depth]
    spec.labels = None if args.labels is None else [args.labels]
    spec.seeds = None
    s = resolve(spec, PRESETS[name], name)
    depth, labels, seed = s.depths[0], s.labels[0], s.seeds[0]
    out = Output(args.out)
    units = min(args.units, s.width)
    print(
        f"features ({name}): first layer of a {depth}-layer, {s.width}-unit sigmoid MLP; "
        f"pre-training on {s.unlabelled:,} images, {s.pretrain_epochs} epochs per layer; "
        f"fine-tuning with {labels} labels, {s.steps} SGD updates or {s.epochs} epochs; seed {seed}"
    )
    start, cpu = time.perf_counter(), time.process_time()
    data = load_images(s.data, s.test_size)
    images = data.train_x[subset(len(data.train_x), s.unlabelled, seed, 0)]
    train_idx, val_idx = labelled_split(len(data.train_x), labels, s.val_fraction, seed)
    rows = []
    for method in s.methods:
        stack = None
        if method != "none":
            stack, _ = pretrain_stack(method, seed, depth, images, s, not args.no_progress)
        model = build_network(seed, depth, s.width, stack)
        first = hidden_linears(model)[0]
        before = first.weight._data.copy()
        tuned = finetune(model, data, train_idx, val_idx, s, seed)
        after = first.weight._data.copy()
        scale = np.maximum(np.abs(before[:units]), np.abs(after[:units])).max(axis=1)
        state = "random init" if method == "none" else f"{method} pre-training"
        stem = "init" if method == "none" else "pretrained"
        draw(out, f"{method}_{stem}.png", before[:units], scale, f"first layer after {state}")
        draw(
            out,
            f"{method}_finetuned.png",
            after[:units],
            scale,
            f"first layer after {state} + fine-tuning ({labels} labels)",
        )
        rows.append(
            {"method": method, **change_summary(before, after), "test_error": tuned["test_error"]}
        )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = {
        "settings": asdict(s),
        "units": units,
        "table": rows,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "machine": machine(),
    }
    out.json("features.json", result)
    out.csv("features.csv", rows)
    print(
        "\nfirst-layer weights through fine-tuning (relative change: ||after - before|| / "
        "||before||)\n"
    )
    print(
        format_table(
            ["method", "mean |w|", "mean |change|", "relative change", "test error %"],
            [
                [
                    r["method"],
                    r["mean_abs_weight"],
                    r["mean_abs_change"],
                    r["relative_change"],
                    f"{100 * r['test_error']:.2f}",
                ]
                for r in rows
            ],
        )
    )
    print(f"\n{wall:.0f} s wall, {cpu:.0f} s CPU")
    print(out.summary())
    return result
