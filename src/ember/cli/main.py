"""``ember``: the command line. ``ember --help`` lists the subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from .. import __version__, experiments
from ..datasets import IDXError
from ..io import CheckpointError
from . import export, pretrain, train, world
from .errors import CommandError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ember", description="ember: deep learning on NumPy, with the lecture's experiments."
    )
    parser.add_argument("--version", action="version", version=f"ember {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("train", help="train an MLP or CNN on Fashion-MNIST/MNIST")
    train.add_train_arguments(p)
    p.set_defaults(handler=train.run_train)
    p = sub.add_parser("eval", help="test accuracy and confusion matrix of a checkpoint")
    train.add_eval_arguments(p)
    p.set_defaults(handler=train.run_eval)
    p = sub.add_parser("pretrain", help="greedy layer-wise pre-training of an MLP (no labels)")
    pretrain.add_pretrain_arguments(p)
    p.set_defaults(handler=pretrain.run_pretrain)
    p = sub.add_parser("export", help="write a checkpoint of ember train as an ONNX model")
    export.add_export_arguments(p)
    p.set_defaults(handler=export.run_export)
    p = sub.add_parser(
        "run", help="run a PyTorch script with ember serving `import torch`", add_help=False
    )
    p.add_argument("script", metavar="SCRIPT.py")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    demo = sub.add_parser("demo", help="run one of the lecture's experiments (ember demo --help)")
    names = demo.add_subparsers(dest="name", required=True, metavar="NAME")
    for name in experiments.EXPERIMENTS:
        module = experiments.load(name)
        p = names.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ember`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:  # the script's own options must reach it untouched
        from ..run import main as run_main

        return run_main(argv[1:])
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        with np.errstate(all="ignore"):  # a diverging run ends with one message, not warnings
            args.handler(args)
    except CommandError as e:
        return _fail(args.command, str(e), e.status)
    except (IDXError, CheckpointError) as e:  # a bad data or checkpoint file
        return _fail(args.command, str(e), 2)
    except OSError as e:  # a file that cannot be read or written: its name and why
        where = f"{e.filename}: " if e.filename else ""
        return _fail(args.command, f"{where}{e.strerror or e}", 2)
    except KeyboardInterrupt as e:
        print(f"ember {args.command}: interrupted" + (f"; {e}" if str(e) else ""), file=sys.stderr)
        return world.end(130)
    return 0


def _fail(command: str, message: str, status: int) -> int:
    print(f"ember {command}: error: {message}", file=sys.stderr)
    return world.end(status)


if __name__ == "__main__":
    sys.exit(main())
