"""``ember pretrain``: greedy layer-wise pre-training of an MLP's hidden layers on unlabelled
images, saved in ``ember train``'s checkpoint layout so that ``ember train --init`` fine-tunes it.

    ember pretrain --data fashion-mnist --hidden 500,500 --method rbm --out runs/dbn
    ember train --data fashion-mnist --hidden 500,500 --activation sigmoid \\
        --init runs/dbn/checkpoint.safetensors --out runs/dbn-finetuned
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import ember

from ..io import atomic_write
from ..pretrain import METHODS, OPTIMIZERS, LayerReport, greedy_layerwise
from ..pretrain.autoencoder import NOISES
from . import guard, world
from .train import (
    CHECKPOINT,
    DATASETS,
    CommandError,
    _positive,
    _widths,
    build_model,
    load_data,
)


def add_pretrain_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", choices=DATASETS, default="fashion-mnist", help="dataset (no labels)")
    p.add_argument("--hidden", type=_widths, default=[500, 500], help="MLP widths, e.g. 500,500")
    p.add_argument("--activation", choices=("sigmoid", "tanh", "relu"), default="sigmoid")
    p.add_argument("--method", choices=METHODS, default="autoencoder")
    p.add_argument("--epochs", type=_positive(int), default=10, help="epochs per layer")
    p.add_argument("--batch-size", type=_positive(int), default=64)
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    p.add_argument(
        "--lr", type=guard.number(0, False), default=None, help="default: 0.1 (sgd), 1e-3"
    )
    p.add_argument("--momentum", type=guard.number(0, True), default=0.0, help="SGD momentum")
    p.add_argument("--weight-decay", type=guard.number(0, True), default=0.0)
    p.add_argument("--corruption", type=float, default=None, help="denoising level (default 0.25)")
    p.add_argument("--noise", choices=NOISES, default="mask", help="denoising noise")
    p.add_argument("--cd-k", type=_positive(int), default=1, help="Gibbs steps per RBM update")
    p.add_argument("--persistent", action="store_true", help="RBMs: persistent CD")
    p.add_argument("--untied", action="store_true", help="autoencoders: own decoder weights")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="run folder (default runs/<data>-<method>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def summary(reports: list[LayerReport]) -> str:
    rows = ["layer  shape        loss               first loss   last loss  recon mse  seconds"]
    for r in reports:
        shape = f"{r.in_features}->{r.out_features}"
        rows.append(
            f"{r.layer:>5}  {shape:<11}  {r.loss_name:<17}  {r.losses[0]:>10.4f}  "
            f"{r.losses[-1]:>10.4f}  {r.reconstruction_error:>9.5f}  {r.seconds:>7.1f}"
        )
    return "\n".join(rows)


def run_pretrain(args: argparse.Namespace) -> list[dict[str, Any]]:
    config = {
        "data": args.data,
        "model": "mlp",
        "hidden": args.hidden,
        "activation": args.activation,
        "seed": args.seed,
    }
    rank, size = world.join()
    config["world_size"] = size
    out = Path(args.out or f"runs/{args.data}-{args.method}")
    if rank == 0:
        with guard.writing(out):
            out.mkdir(parents=True, exist_ok=True)
        guard.remove_stale(out, (CHECKPOINT, "report.json"))
    ember.manual_seed(args.seed)
    gen = ember.Generator().manual_seed(args.seed)
    model = build_model(config)
    images, _ = load_data(args.data, train=True)
    extra = {"weight_decay": args.weight_decay}
    if args.optimizer == "sgd":
        extra["momentum"] = args.momentum
    try:
        reports = greedy_layerwise(
            model,
            images,
            args.method,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            optimizer=args.optimizer,
            optimizer_kwargs=extra,
            corruption=args.corruption,
            noise=args.noise,
            cd_k=args.cd_k,
            persistent=args.persistent,
            tied=not args.untied,
            progress=not args.no_progress and rank == 0,
            generator=gen,
            process_group=ember.distributed.group.world() if size > 1 else None,
        )
    except ValueError as e:
        raise CommandError(str(e)) from None
    records = [r.to_dict() for r in reports]
    if rank != 0:
        return records
    settings = {k: v for k, v in vars(args).items() if k not in ("handler", "command", "argv")}
    ckpt_path = out / CHECKPOINT
    if guard.nonfinite_parameters(model):
        raise CommandError("pre-training diverged: the weights became NaN or infinite", status=1)
    with guard.writing(ckpt_path):
        ember.save(
            {
                "model": model.state_dict(),
                "epoch": 0,
                "history": [],
                "config": config,
                "pretrain": {"settings": settings, "layers": records},
            },
            ckpt_path,
        )
    with guard.writing(out / "report.json"), atomic_write(out / "report.json") as tmp:
        Path(tmp).write_text(json.dumps({"settings": settings, "layers": records}, indent=1) + "\n")
    print(summary(reports))
    hidden = ",".join(str(h) for h in args.hidden)
    print(f"\nwrote {ckpt_path} and {out / 'report.json'}")
    print(
        f"fine-tune: ember train --data {args.data} --hidden {hidden} "
        f"--activation {args.activation} --init {ckpt_path}"
    )
    return records
