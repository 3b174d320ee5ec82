"""Several worker scenarios in one MPI job, one after another (one launch instead of one per
scenario): each joins the default group and leaves it; a rank that passes one prints
"NAME rank R: ok"."""

import runpy
import sys
from pathlib import Path

from mpi4py import MPI

import ember.distributed as dist

for name in sys.argv[1:]:
    runpy.run_path(str(Path(__file__).with_name(f"{name}.py")), run_name="__main__")
    print(f"{name} rank {MPI.COMM_WORLD.Get_rank()}: ok", flush=True)
    if dist.is_initialized():  # a scenario may leave the group itself
        dist.destroy_process_group()
