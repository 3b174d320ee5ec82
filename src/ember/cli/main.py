"""``ember``: the command line. ``ember --help`` lists the subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__, experiments
from . import pretrain, train, world
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
    try:
        args.handler(args)
    except CommandError as e:
        print(f"ember {args.command}: error: {e}", file=sys.stderr)
        return world.end(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return world.end(130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
