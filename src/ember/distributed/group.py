"""The process group: who the ranks are and the MPI communicator that connects them.

This package is the only place in ember that imports ``mpi4py``. A process started without an MPI
launcher (no ``mpiexec``) joins a world of one rank that needs no MPI at all; a process started by
``mpiexec`` joins ``MPI.COMM_WORLD``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from typing import Any

# Variables that MPI launchers put into each rank's environment (MPICH/Hydra, Open MPI, PMIx).
_FORWARD_SECONDS = 0.3  # how long a failing rank waits for the launcher to forward its output
_LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE")

_NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


class ProcessGroup:
    """A set of ranks that run collectives together (``comm`` is None for a world of one)."""

    def __init__(self, comm: Any, rank: int, size: int) -> None:
        self.comm = comm
        self._rank = rank
        self._size = size

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', rank={self._rank}, size={self._size})"


_world: ProcessGroup | None = None
_hook_installed = False


def is_available() -> bool:
    """Whether ember can run on several processes: ``mpi4py`` is installed (``ember[mpi]``)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    """Same as ``is_available``: MPI is ember's only backend."""
    return is_available()


def is_nccl_available() -> bool:
    return False


def is_gloo_available() -> bool:
    return False


def launched_by_mpi() -> bool:
    """Whether this process was started by an MPI launcher such as ``mpiexec``."""
    return any(v in os.environ for v in _LAUNCHER_VARIABLES)


def mpi() -> Any:
    """The ``mpi4py.MPI`` module, with a clear error when ``ember[mpi]`` is not installed."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            f"ember.distributed needs mpi4py and an MPI library ({e}); "
            "install them with: pip install 'ember[mpi]'"
        ) from None
    return MPI


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the default process group.

    Under ``mpiexec -n N`` the world is MPI's ``COMM_WORLD``; started without a launcher, the
    process forms a world of one rank that uses no MPI. ``backend`` must be ``"mpi"`` (or None);
    ``init_method``, ``store`` and ``timeout`` are not needed with MPI and must be left unset
    (``init_method="env://"`` is accepted). After this call an uncaught exception on any rank
    prints its traceback and aborts the whole job with a non-zero status, so no rank waits for
    ever in a collective.
    """
    global _world
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend not in (None, "mpi"):
        raise RuntimeError(
            f"init_process_group: backend {backend!r} is not available in ember; its only "
            "backend is 'mpi' (start the ranks with mpiexec)"
        )
    if init_method not in (None, "env://") or store is not None:
        raise ValueError(
            "init_process_group: with the 'mpi' backend the ranks find each other through "
            "mpiexec; leave init_method and store unset"
        )
    if launched_by_mpi():
        comm = mpi().COMM_WORLD
        group = ProcessGroup(comm, comm.Get_rank(), comm.Get_size())
    else:
        group = ProcessGroup(None, 0, 1)
    for name, given, actual in (
        ("world_size", world_size, group.size()),
        ("rank", rank, group.rank()),
    ):
        if given not in (-1, None) and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given} was given but the MPI launcher started "
                f"this process with {name} {actual}"
            )
    _world = group
    if group.comm is not None:
        _install_abort_on_error()


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default process group (MPI itself stays initialised until the process ends)."""
    global _world
    world()
    _world = None


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not undone)."""
    return _world is not None


def world() -> ProcessGroup:
    """The default process group; PyTorch's ValueError before ``init_process_group``."""
    if _world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _world


def resolve(group: ProcessGroup | None) -> ProcessGroup:
    return world() if group is None else group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group when None)."""
    return resolve(group).rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """How many processes ``group`` has."""
    return resolve(group).size()


def get_backend(group: ProcessGroup | None = None) -> str:
    resolve(group)
    return "mpi"


def abort(status: int = 1) -> None:
    """End every rank of the job at once with ``status`` (a world of one just exits)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if _world is not None and _world.comm is not None:
        # The launcher forwards a rank's output from a pipe and drops what it has not read yet
        # when the job is torn down: give it a moment to read the error first.
        time.sleep(_FORWARD_SECONDS)
        _world.comm.Abort(status)
    os._exit(status)


def _install_abort_on_error() -> None:
    """Make an uncaught exception end the whole job instead of leaving the others waiting."""
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = sys.excepthook

    def excepthook(kind: type, value: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            abort(130)
        rank = get_rank() if _world is not None else "?"
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"[rank {rank}] {text}[rank {rank}] aborting the MPI job\n")
        abort(1)

    sys.excepthook = excepthook
