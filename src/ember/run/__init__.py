"""``ember run SCRIPT.py [ARGS]`` (also ``python -m ember.run``): a PyTorch script on ember.

The script runs as ``python SCRIPT.py ARGS`` would run it (``sys.argv``, ``__name__ ==
"__main__"``, ``__file__``, the script's directory first on ``sys.path``, the exit status and
traceback), except that ``import torch`` and every ``torch.*`` import give ember's modules. That
holds in this process only (see :mod:`ember.run.torch_alias`).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import os
import signal
import sys
import types
from collections.abc import Sequence

from .torch_alias import EMBER_DIR, ModuleNotInEmberError, NotInEmberError, install

__all__ = ["ModuleNotInEmberError", "NotInEmberError", "install", "main", "run_script"]

USAGE = "usage: ember run [-h] SCRIPT.py [ARGS ...]"
HELP = f"""{USAGE}

Run a PyTorch script unchanged with ember serving `import torch` (in this process only).

positional arguments:
  SCRIPT.py   the script, run as `python SCRIPT.py ARGS` would run it
  ARGS        passed to the script in sys.argv[1:]
"""


def _script_traceback(error: BaseException, code: types.CodeType) -> types.TracebackType | None:
    """The traceback from the script's first frame on: the runner's own frames dropped, and
    for a name ember lacks, the lookup's frames too (the script's line is where it failed)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code is not code:
        tb = tb.tb_next
    if isinstance(error, (NotInEmberError, ModuleNotInEmberError)):
        last = tb
        while last is not None and last.tb_next is not None:
            if last.tb_next.tb_frame.f_code.co_filename.startswith(EMBER_DIR):
                last.tb_next = None
            else:
                last = last.tb_next
    return tb


def _torch_name(cls: type) -> str:
    """PyTorch's spelling of an ember class: ``torch.Tensor``, ``torch.nn.Linear``, ..."""
    parts = cls.__module__.split(".")
    for depth in range(1, len(parts) + 1):  # the shortest public path that reaches the class
        module = sys.modules.get(".".join(parts[:depth]))
        if module is not None and getattr(module, cls.__name__, None) is cls:
            return ".".join(["torch", *parts[1:depth], cls.__name__])
    return ".".join(["torch", *parts[1:], cls.__name__])


def _note_missing_attribute(error: AttributeError) -> None:
    """Say which torch name an AttributeError raised on an ember object stands for."""
    obj = getattr(error, "obj", None)
    if isinstance(error, NotInEmberError) or obj is None or error.name is None:
        return
    owner = obj if isinstance(obj, type) else type(obj)
    if owner.__module__.split(".")[0] == "ember":
        error.add_note(f"ember does not provide {_torch_name(owner)}.{error.name}")


def run_script(path: str, args: Sequence[str]) -> int:
    """Run the file ``path`` as ``__main__`` with ``sys.argv = [path, *args]``; the exit code.

    An uncaught exception is printed by ``sys.excepthook`` from the script's frame on, and gives
    1, as ``python`` does; ``SystemExit`` propagates unchanged.
    """
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        print(
            f"ember run: can't open file {path!r}: [Errno {e.errno}] {e.strerror}", file=sys.stderr
        )
        return 2
    filename = os.path.join(os.getcwd(), path)
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=filename,
        __builtins__=builtins,
        __cached__=None,
        __loader__=importlib.machinery.SourceFileLoader("__main__", filename),
    )
    install()
    sys.argv = [path, *args]
    sys.path[0] = os.path.dirname(os.path.realpath(filename))
    sys.modules["__main__"] = main
    code = compile(source, filename, "exec", dont_inherit=True)
    try:
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as e:  # reported as python reports it
        if isinstance(e, AttributeError):
            _note_missing_attribute(e)
        tb = _script_traceback(e, code)
        sys.excepthook(type(e), e.with_traceback(tb), tb)
        if isinstance(e, KeyboardInterrupt):  # python dies of SIGINT too
            sys.stdout.flush()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``ember run SCRIPT.py [ARGS]``: parse the command line and run the script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP if argv else USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0].startswith("-"):
        print(f"{USAGE}\nember run: error: unknown option {argv[0]!r}", file=sys.stderr)
        return 2
    return run_script(argv[0], argv[1:])
