"""``ember export``: a checkpoint of ``ember train`` as an ONNX model for other runtimes.

ember export runs/fashion-mnist-mlp/checkpoint.safetensors --out mlp.onnx
"""

from __future__ import annotations

import argparse
from pathlib import Path

import ember

from .errors import CommandError
from .train import load_trained


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a checkpoint written by ember train")
    p.add_argument("--out", default=None, help="the .onnx file (default: beside the checkpoint)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")


def run_export(args: argparse.Namespace) -> Path:
    model, _ = load_trained(args.checkpoint)
    out = Path(args.out) if args.out else Path(args.checkpoint).with_suffix(".onnx")
    example = ember.zeros(1, 1, 28, 28)
    batch = {0: "batch"}
    try:
        ember.onnx.export(
            model,
            (example,),
            out,
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes={"images": batch, "logits": batch},
            opset_version=args.opset,
        )
    except ember.onnx.OnnxExporterError as e:
        raise CommandError(str(e)) from None
    print(f"wrote {out}: input 'images' (batch, 1, 28, 28) float32 in [0, 1], output 'logits'")
    return out
