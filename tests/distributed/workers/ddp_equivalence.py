"""DistributedDataParallel on two ranks against one process on the whole batch, in float64.

Each rank also trains a reference copy of the model on the whole batch itself, so the check
needs no second program: after several SGD and Adam steps the data-parallel weights must equal
the reference to 1e-10, and the ranks must hold bit-identical weights.
"""

import numpy as np

import ember
import ember.distributed as dist
from ember import nn, optim
from ember.nn.parallel import DistributedDataParallel
from ember.train import _backward_share

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()


def mlp():
    return nn.Sequential(
        nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)
    )


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 3)
    )


def batches(shape, steps, sizes):
    rng = np.random.default_rng(7)
    for n in sizes[:steps]:
        yield (
            ember.tensor(rng.normal(size=(n, *shape)), dtype=ember.float64),
            ember.tensor(rng.integers(0, 3, n)),
        )


def check_same(model, reference, what):
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        err = np.abs(p.detach().numpy() - q.detach().numpy()).max()
        assert err < 1e-10, f"{what}: {name} differs from one process by {err}"
        copies = [ember.zeros_like(p) for _ in range(size)]
        dist.all_gather(copies, p.detach())
        assert all(np.array_equal(c.numpy(), copies[0].numpy()) for c in copies), name


def train(make, shape, opt_class, sizes, uneven=False, accumulate=1):
    ember.manual_seed(100 + rank)  # different initial weights: DDP must take rank 0's
    model = make().double()
    ddp = DistributedDataParallel(model)
    ember.manual_seed(100)
    reference = make().double()  # rank 0's initial weights
    loss_fn = nn.CrossEntropyLoss()
    opt, ref_opt = opt_class(model.parameters()), opt_class(reference.parameters())
    for step, (x, y) in enumerate(batches(shape, len(sizes), sizes)):
        parts = np.array_split(np.arange(len(y)), size)[rank]
        last = (step + 1) % accumulate == 0
        out = ddp(x[parts]) if last else None
        if not last:
            with ddp.no_sync():
                out = ddp(x[parts])
        loss = loss_fn(out, y[parts])
        if uneven:
            _backward_share(loss, out, len(parts), ddp.process_group)
        else:
            loss.backward()
        loss_fn(reference(x), y).backward()
        if last:
            opt.step()
            ref_opt.step()
            opt.zero_grad()
            ref_opt.zero_grad()
    check_same(model, reference, f"{make.__name__} {opt_class.__name__}")


def sgd(params):
    return optim.SGD(params, lr=0.1, momentum=0.9)


def adam(params):
    return optim.Adam(params, lr=0.01)


for make, shape in ((mlp, (6,)), (cnn, (1, 6, 6))):
    for opt_class in (sgd, adam):
        train(make, shape, opt_class, [8] * 5)
train(mlp, (6,), adam, [9, 7, 5, 8, 3], uneven=True)  # shares of 5 and 4, 4 and 3, ...
train(mlp, (6,), sgd, [8] * 6, accumulate=3)  # no_sync: 2 local backwards, then 1 averaged
print(f"rank {rank}: ok")
