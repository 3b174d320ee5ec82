"""DataLoader with worker processes: the same batches as in-process loading, PyTorch's worker
semantics (info, seeding, init function, iterable sharding), errors and clean shutdowns."""

import _thread
import multiprocessing
import os
import random
import threading
import time
import warnings
from collections import namedtuple

import numpy as np
import pytest

import ember
from ember.data import DataLoader, Dataset, IterableDataset, get_worker_info

Pair = namedtuple("Pair", "x y")


class Samples(Dataset):
    """Sample i: an array, a number, a string and which worker read it."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "x": np.full(3, i, np.float32),
            "i": i,
            "name": f"s{i}",
            "worker": -1 if info is None else info.id,
        }


def batches(loader):
    return [(b["x"].tolist(), b["i"].tolist(), b["name"]) for b in loader]


@pytest.fixture(autouse=True)
def _no_worker_outlives_a_test():
    yield
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("in_order", [True, False])
def test_seeded_shuffle_gives_the_batches_of_num_workers_0(in_order):
    def run(workers):
        g = ember.Generator().manual_seed(7)
        loader = DataLoader(
            Samples(),
            batch_size=4,
            shuffle=True,
            generator=g,
            num_workers=workers,
            in_order=in_order,
            drop_last=True,
        )
        return [batches(loader) for _ in range(2)]

    ours, reference = run(2), run(0)
    if in_order:
        assert ours == reference
    else:
        assert [sorted(epoch) for epoch in ours] == [sorted(epoch) for epoch in reference]
    assert ours[0] != ours[1]


def test_workers_share_the_batches_round_robin():
    loader = DataLoader(Samples(12), batch_size=2, num_workers=3, prefetch_factor=1)
    cpus = len(os.sched_getaffinity(0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        workers = [b["worker"].tolist() for b in loader]
    assert workers == [[w, w] for w in [0, 1, 2] * 2]
    assert any("will create 3 worker processes" in str(w.message) for w in caught) == (cpus < 3)


class Draws(Dataset):
    """What a worker's random sources give, and what worker_init_fn left."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "ember": ember.rand(1).item(),
            "random": random.random(),
            "numpy": float(np.random.rand()),
            "init": os.environ.get("EMBER_TEST_INIT", ""),
        }


def _init(worker_id):
    os.environ["EMBER_TEST_INIT"] = f"worker {worker_id}"


def test_worker_info_seeding_and_init_fn_are_reproducible():
    def run():
        g = ember.Generator().manual_seed(5)
        loader = DataLoader(
            Draws(), batch_size=None, num_workers=2, worker_init_fn=_init, generator=g
        )
        return list(loader)

    first, second = run(), run()
    assert first == second  # the same generator seed gives the same worker seeds and draws
    by_worker = {s["id"]: s for s in first}
    assert set(by_worker) == {0, 1} and all(s["num_workers"] == 2 for s in first)
    assert by_worker[1]["seed"] == by_worker[0]["seed"] + 1
    assert by_worker[0]["init"] == "worker 0" and by_worker[1]["init"] == "worker 1"
    for source in ("ember", "random", "numpy"):
        assert by_worker[0][source] != by_worker[1][source]
    assert "EMBER_TEST_INIT" not in os.environ and get_worker_info() is None


class Failing(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"no sample {i}")
        return i


def test_a_worker_exception_is_raised_here_with_its_traceback():
    loader = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(KeyError) as info:
        list(loader)
    message = str(info.value)
    assert "Caught KeyError in DataLoader worker process 0." in message
    assert "Original Traceback (most recent call last):" in message
    assert "in __getitem__" in message and "no sample 5" in message


class Unsendable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return object()


def test_batches_that_cannot_travel_are_refused_by_name():
    loader = DataLoader(Unsendable(), batch_size=None, num_workers=1, collate_fn=lambda x: x)
    with pytest.raises(
        TypeError, match=r"worker's batch travels in ember's checkpoint format.*object"
    ):
        next(iter(loader))


def test_structures_keep_their_types_across_processes():
    loader = DataLoader(
        Samples(4),
        batch_size=2,
        num_workers=1,
        collate_fn=lambda s: Pair(x=[d["i"] for d in s], y=({"names": [d["name"] for d in s]},)),
    )
    assert list(loader) == [
        Pair([0, 1], ({"names": ["s0", "s1"]},)),
        Pair([2, 3], ({"names": ["s2", "s3"]},)),
    ]
    assert all(type(b) is Pair for b in loader)


class Sleepy(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(30)
        return i


def test_timeout():
    loader = DataLoader(Sleepy(), num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0\.3 seconds"):
        next(iter(loader))


@pytest.mark.slow
def test_ctrl_c_stops_every_worker():
    loader = DataLoader(Sleepy(), num_workers=2)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        next(iter(loader))
    timer.join()


class Dying(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


@pytest.mark.slow
def test_a_worker_that_dies_is_reported():
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(DataLoader(Dying(), num_workers=1))


class Pid(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return os.getpid()


def test_persistent_workers_serve_every_epoch():
    loader = DataLoader(Pid(), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [[b.tolist() for b in loader] for _ in range(3)]
    pids = {pid for epoch in epochs for batch in epoch for pid in batch}
    assert len(pids) == 2 and os.getpid() not in pids
    assert all(len(epoch) == 3 for epoch in epochs)
    first = iter(loader)
    next(first)  # an abandoned epoch
    assert len([b for b in loader]) == 3
    del loader, first


class Stream(IterableDataset):
    """0..n-1, each worker taking every num_workers-th element from its id on."""

    def __init__(self, n=11):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
@pytest.mark.parametrize(("workers", "drop_last"), [(0, False), (2, False), (3, True)])
def test_iterable_dataset_sharding_matches_torch(workers, drop_last):
    torch = pytest.importorskip("torch")

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, 11, step))

    kwargs = dict(batch_size=2, num_workers=workers, drop_last=drop_last)
    ours = [b.tolist() for b in DataLoader(Stream(), **kwargs)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchStream(), **kwargs)]
    assert ours == theirs


def test_option_errors_follow_torch():
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(Samples(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Samples(), persistent_workers=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Samples(), timeout=-1)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        DataLoader(Samples(), multiprocessing_context="spawn")
    with pytest.raises(ValueError, match="valid start method"):
        DataLoader(Samples(), num_workers=1, multiprocessing_context="teleport")
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)
    with pytest.warns(UserWarning, match="no accelerator is found"):
        loader = DataLoader(Samples(4), pin_memory=True, batch_size=4)
    assert batches(loader) == batches(DataLoader(Samples(4), batch_size=4))
    assert DataLoader(Samples(), num_workers=2).prefetch_factor == 2


@pytest.mark.slow
def test_spawn_context_loads_the_same_batches():
    """A fresh interpreter per worker (the dataset travels to it by pickling, as in PyTorch)."""
    loader = DataLoader(Samples(6), batch_size=3, num_workers=1, multiprocessing_context="spawn")
    assert batches(loader) == batches(DataLoader(Samples(6), batch_size=3))
