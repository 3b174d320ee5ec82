"""Rank 1 builds a wider model than rank 0: construction must fail on both ranks, clearly."""

import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel

dist.init_process_group("mpi")
width = 4 if dist.get_rank() == 0 else 5
DistributedDataParallel(nn.Sequential(nn.Linear(3, width), nn.Linear(width, 2)))
print("constructed")
