"""ember.distributed in a process of its own (a world of one rank, no MPI), and the sampler."""

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember import nn
from ember.data import DistributedSampler
from ember.nn.parallel import DataParallel, DistributedDataParallel

NOT_INITIALIZED = "Default process group has not been initialized"


@pytest.fixture
def world():
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize(
    "call",
    [dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(ember.ones(2))],
)
def test_calls_before_init_raise_pytorchs_error(call):
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        call()


def test_only_the_mpi_backend_exists():
    with pytest.raises(RuntimeError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="leave init_method and store unset"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    assert not dist.is_initialized()


def test_world_of_one_without_a_launcher(world):
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("mpi")
    t = ember.tensor([1.0, -2.0, 3.0])
    for op in dist.ReduceOp:
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), [1.0, -2.0, 3.0])
    gathered = [ember.zeros(3)]
    dist.all_gather(gathered, t)
    np.testing.assert_array_equal(gathered[0].numpy(), t.numpy())
    work = dist.broadcast(t, src=0, async_op=True)
    assert work.wait() and work.is_completed()
    with pytest.raises(ValueError, match="src=1 is not a rank of a group of 1"):
        dist.broadcast(t, src=1)
    with pytest.raises(TypeError, match=r"must be an ember\.Tensor"):
        dist.all_reduce(np.ones(3))


def test_rank_and_world_size_must_agree_with_the_launcher():
    with pytest.raises(ValueError, match="world_size=4 was given"):
        dist.init_process_group("mpi", world_size=4)
    assert not dist.is_initialized()


def test_ddp_on_one_rank_leaves_gradients_as_they_are(world):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ember.manual_seed(0)
    plain = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-6)  # one bucket per parameter
    assert len(ddp._reducer.buckets) == 4
    x = ember.randn(5, 3)
    ddp(x).sum().backward()
    plain(x).sum().backward()
    for p, q in zip(model.parameters(), plain.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    assert list(ddp.state_dict()) == ["module." + k for k in plain.state_dict()]


def test_ddp_refuses_gpu_device_ids(world):
    with pytest.raises(ValueError, match="device_ids"):
        DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])


def test_ddp_needs_an_initialised_group():
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        DistributedDataParallel(nn.Linear(2, 2))


def test_data_parallel_without_gpus_runs_the_module():
    model = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    np.testing.assert_array_equal(
        DataParallel(model)(x).detach().numpy(), model(x).detach().numpy()
    )
    assert list(DataParallel(model).state_dict()) == ["module.weight", "module.bias"]


def test_post_accumulate_grad_hook_sees_the_accumulated_gradient():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(seen, [[3.0, 3.0], [6.0, 6.0]])
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)


# ----------------------------------------------------------------------------- the sampler
@pytest.mark.parametrize("n, replicas", [(11, 3), (12, 3), (2, 5), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shares_are_disjoint_and_padded_like_pytorch(n, replicas, drop_last):
    shares = [
        list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
        for r in range(replicas)
    ]
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    expected = [
        list(TorchSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
        for r in range(replicas)
    ]
    assert shares == expected and torch


def test_shuffled_shares_cover_the_data_and_reshuffle_per_epoch():
    def epoch(e):
        samplers = [DistributedSampler(range(20), 4, r, seed=5) for r in range(4)]
        for s in samplers:
            s.set_epoch(e)
        return [list(s) for s in samplers]

    first = epoch(0)
    assert sorted(i for share in first for i in share) == list(range(20))
    assert epoch(0) == first and epoch(1) != first
    assert len(DistributedSampler(range(20), 4, 0)) == 5


def test_sampler_errors_and_defaults(world):
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    sampler = DistributedSampler(range(4))
    assert (sampler.num_replicas, sampler.rank) == (1, 0)
    assert ember.utils.data.distributed.DistributedSampler is DistributedSampler
    assert ember.utils.data.DistributedSampler is DistributedSampler
