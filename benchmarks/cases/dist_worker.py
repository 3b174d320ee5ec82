"""The rank-side half of ``benchmarks.cases.distributed`` (started by ``mpiexec``); rank 0 prints
its measurements as one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from mpi4py import MPI

import ember
import ember.distributed as dist
from ember import models, nn, optim
from ember.nn.parallel import DistributedDataParallel

from ..harness import interleave


def _timed(comm, case: str, fn):
    """One call of ``fn`` after a barrier, in seconds, as ``{case: seconds}``."""

    def once():
        comm.Barrier()
        start = time.perf_counter()
        fn()
        return {case: time.perf_counter() - start}

    return once


def allreduce(sizes: list[int], repeats: int) -> list[dict]:
    comm = MPI.COMM_WORLD
    rows = []
    for n in sizes:
        t = ember.ones(n)
        raw = np.ones(n, dtype=np.float32)
        case = f"allreduce {n} floats"
        impls = {
            "ember": _timed(comm, case, lambda t=t: dist.all_reduce(t)),
            "numpy": _timed(comm, case, lambda raw=raw: comm.Allreduce(MPI.IN_PLACE, raw, MPI.SUM)),
        }
        rows += [m.as_dict() for m in interleave("s/call", impls, repeats, warmup=3)]
    return rows


def step(model_name: str, steps: int) -> list[dict]:
    rank, size = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(0)
    model = models.cnn() if model_name == "cnn" else models.mlp(784, [1024, 1024], 10)
    trained = DistributedDataParallel(model) if size > 1 else model
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(rank)
    share = 128 // size
    x = ember.tensor(rng.random((share, 1, 28, 28), dtype=np.float32))
    y = ember.tensor(rng.integers(0, 10, share))
    samples = []
    for i in range(steps + 2):
        dist.barrier()
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(trained(x), y).backward()
        opt.step()
        if i >= 2:  # two warm-up steps
            samples.append(time.perf_counter() - start)
    threads = _threads()
    case = f"{model_name} step b128, {size} rank(s) x {threads} thread(s)"
    return [{"case": case, "impl": "ember", "unit": "s/step", "samples": samples}]


def _threads() -> int:
    return int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))


def main() -> None:
    dist.init_process_group("mpi")
    mode = sys.argv[1]
    if mode == "allreduce":
        rows = allreduce([int(s) for s in sys.argv[2].split(",")], int(sys.argv[3]))
    else:
        rows = step(sys.argv[2], int(sys.argv[3]))
    if dist.get_rank() == 0:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
