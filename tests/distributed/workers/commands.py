"""Several ``ember`` commands in one MPI job, one after another (one launch instead of one per
command). Arguments: groups ``LABEL ARGS...`` separated by ``--``; rank 0 prints "== LABEL"
before each command's own output. A command that fails ends the job with its status."""

import sys

import ember.distributed as dist
from ember.cli.main import main

dist.init_process_group("mpi")
groups, current = [], []
for arg in [*sys.argv[1:], "--"]:
    if arg == "--":
        groups.append(current)
        current = []
    else:
        current.append(arg)
for label, *args in groups:
    if dist.get_rank() == 0:
        print(f"== {label}", flush=True)
    status = main(args)
    if status != 0:
        sys.exit(status)
