"""Rank 1 raises while rank 0 waits in a collective: the whole job must end, non-zero."""

import ember
import ember.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    raise ValueError("rank 1 fails on purpose")
dist.all_reduce(ember.ones(3))
print("rank 0 was not stopped")
