"""Every collective on two ranks, checked against values each rank can compute itself."""

import numpy as np

import ember
import ember.distributed as dist
from ember.distributed import ReduceOp

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
assert size == 2 and dist.is_initialized() and dist.get_backend() == "mpi"


def values(r, dtype="float64"):
    return ember.tensor(np.arange(6).reshape(2, 3) * (r + 1) + r, dtype=dtype)


def expect(t, array):
    np.testing.assert_array_equal(t.numpy(), np.asarray(array, dtype=t.numpy().dtype))


every = [values(r).numpy() for r in range(size)]
for op, fold in [
    (ReduceOp.SUM, np.sum),
    (ReduceOp.PRODUCT, np.prod),
    (ReduceOp.MIN, np.min),
    (ReduceOp.MAX, np.max),
    (ReduceOp.AVG, np.mean),
]:
    for dtype in ("float64", "float32", "int64", "int32"):
        if op is ReduceOp.AVG and dtype.startswith("int"):
            continue
        t = values(rank, dtype)
        dist.all_reduce(t, op=op)
        expect(t, fold(np.stack([values(r, dtype).numpy() for r in range(size)]), axis=0))
flags = ember.tensor([rank == 0, False, True])
dist.all_reduce(flags, op=ReduceOp.MAX)
expect(flags, [True, False, True])

# non-contiguous and asynchronous
base = values(rank)
view = base.T
work = dist.all_reduce(view, async_op=True)
work.wait()
expect(base, sum(every))

t = values(rank)
dist.broadcast(t, src=1)
expect(t, every[1])

gathered = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(size)]
dist.all_gather(gathered, values(rank))
for r in range(size):
    expect(gathered[r], every[r])

out = ember.zeros(4, 3, dtype=ember.float64)
dist.all_gather_into_tensor(out, values(rank))
expect(out, np.concatenate(every))

part = ember.zeros(2, 3, dtype=ember.float64)
dist.reduce_scatter(part, [values(rank) * (k + 1) for k in range(size)])
expect(part, sum(every) * (rank + 1))

part = ember.zeros(3, dtype=ember.float64)
dist.reduce_scatter_tensor(part, values(rank), op=ReduceOp.AVG)
expect(part, (sum(every) / size)[rank])

t = values(rank)
dist.reduce(t, dst=1)
expect(t, sum(every) if rank == 1 else every[rank])

bucket = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(size)] if rank == 0 else None
dist.gather(values(rank), bucket, dst=0)
if rank == 0:
    for r in range(size):
        expect(bucket[r], every[r])

t = ember.zeros(2, 3, dtype=ember.float64)
dist.scatter(t, [values(r) for r in range(size)] if rank == 1 else None, src=1)
expect(t, every[rank])

objects = [{"step": 3, "name": "run", "weights": ember.tensor([1.5, 2.5])}, (1, None)]
received = objects if rank == 0 else [None, None]
dist.broadcast_object_list(received, src=0)
assert received[0]["step"] == 3 and received[1] == (1, None)
expect(received[0]["weights"], [1.5, 2.5])

everyone = [None] * size
dist.all_gather_object(everyone, {"rank": rank, "list": [rank] * (rank + 1)})
assert everyone == [{"rank": r, "list": [r] * (r + 1)} for r in range(size)]

for bad, message in [
    (lambda: dist.all_gather([ember.zeros(3)], ember.zeros(3)), "has 1 tensors but the group"),
    (lambda: dist.all_reduce(ember.tensor([1, 2]), op=ReduceOp.AVG), "needs a floating tensor"),
    (lambda: dist.broadcast(ember.zeros(2), src=2), "src=2 is not a rank"),
]:
    try:
        bad()
    except (ValueError, TypeError) as e:
        assert message in str(e), str(e)
    else:
        raise AssertionError(f"no error, expected {message!r}")

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank}: ok")
