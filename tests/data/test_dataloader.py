"""DataLoader: order, batching, shuffling, collation, and the one-fetch-per-batch path."""

from collections import namedtuple

import numpy as np
import pytest

import ember
from ember.data import (
    DataLoader,
    Dataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)


class Records(Dataset):
    """Samples of every kind default_collate handles."""

    Point = namedtuple("Point", "x y")

    def __init__(self, n=5):
        self.n = n

    def __getitem__(self, i):
        return {
            "image": ember.tensor(np.full((2, 2), i, dtype=np.float32)),
            "array": np.arange(3) + i,
            "label": i,
            "weight": 0.5 * i,
            "flag": i % 2 == 0,
            "name": f"s{i}",
            "point": Records.Point(i, np.float64(-i)),
            "pair": (i, [i, i + 1]),
        }

    def __len__(self):
        return self.n


class Columns(Dataset):
    """torchvision's shape: ``data`` and ``targets`` arrays and a ``transform`` attribute."""

    def __init__(self, n=23):
        self.data = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
        self.targets = ember.tensor(np.arange(n) % 3)
        self.transform = None

    def __getitem__(self, i):
        return ember.tensor(self.data[i]), int(self.targets[i])

    def __len__(self):
        return len(self.data)


def dataset(n=10):
    return TensorDataset(
        ember.tensor(np.arange(2 * n, dtype=np.float32).reshape(n, 2)), ember.arange(n)
    )


def labels(loader):
    return [batch[1].tolist() for batch in loader]


def per_sample(batch):
    return default_collate(batch)


# ---------------------------------------------------------------------------- order and batching
def test_sequential_batches_and_len():
    loader = DataLoader(dataset(), batch_size=4)
    assert len(loader) == 3
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(loader))
    assert x.shape == (4, 2) and x.dtype == ember.float32 and y.dtype == ember.int64
    assert x.tolist() == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_drop_last():
    loader = DataLoader(dataset(), batch_size=4, drop_last=True)
    assert len(loader) == 2 and labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_iteration_restarts_each_epoch():
    loader = DataLoader(dataset(), batch_size=3)
    assert labels(loader) == labels(loader)
    it = iter(loader)
    next(it)
    assert labels(loader)[0] == [0, 1, 2]


def test_shuffle_is_seeded_and_fresh_each_epoch():
    ember.manual_seed(3)
    loader = DataLoader(dataset(20), batch_size=5, shuffle=True)
    epoch1, epoch2 = labels(loader), labels(loader)
    assert epoch1 != epoch2
    for epoch in (epoch1, epoch2):
        assert sorted(i for b in epoch for i in b) == list(range(20))
    ember.manual_seed(3)
    assert labels(DataLoader(dataset(20), batch_size=5, shuffle=True)) == epoch1


def test_shuffle_with_a_generator():
    def run(seed):
        gen = ember.Generator().manual_seed(seed)
        loader = DataLoader(dataset(20), batch_size=6, shuffle=True, generator=gen)
        return labels(loader), labels(loader)

    assert run(7) == run(7)
    assert run(7) != run(8)
    first, second = run(7)
    assert first != second


def test_batch_size_none_yields_samples():
    loader = DataLoader(Records(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and samples[1]["label"] == 1
    assert isinstance(samples[1]["array"], ember.Tensor) and samples[1]["array"].tolist() == [
        1,
        2,
        3,
    ]
    assert samples[2]["pair"] == [2, [2, 3]]


def test_custom_sampler_and_batch_sampler():
    loader = DataLoader(dataset(), batch_size=2, sampler=[9, 0, 5])
    assert labels(loader) == [[9, 0], [5]]
    loader = DataLoader(dataset(), batch_sampler=[[3, 1], [2]])
    assert labels(loader) == [[3, 1], [2]] and len(loader) == 2


def test_exclusive_options():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(dataset(), sampler=SequentialSampler(range(10)), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(dataset(), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        DataLoader(dataset(), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(dataset(), num_workers=-1)


# ---------------------------------------------------------------------------- collate
def test_default_collate_of_every_kind():
    batch = next(iter(DataLoader(Records(4), batch_size=3)))
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == ember.float32
    assert batch["array"].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert batch["label"].tolist() == [0, 1, 2] and batch["label"].dtype == ember.int64
    assert batch["weight"].dtype == ember.float64 and batch["weight"].tolist() == [0.0, 0.5, 1.0]
    assert batch["flag"].dtype == ember.bool and batch["flag"].tolist() == [True, False, True]
    assert batch["name"] == ["s0", "s1", "s2"]
    assert isinstance(batch["point"], Records.Point)
    assert batch["point"].x.tolist() == [0, 1, 2]
    assert batch["point"].y.dtype == ember.float64
    label, pairs = batch["pair"]
    assert label.tolist() == [0, 1, 2] and [p.tolist() for p in pairs] == [[0, 1, 2], [1, 2, 3]]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.zeros(2), ember.zeros(3)])
    with pytest.raises(TypeError, match="found object"):
        default_collate([object()])


def test_default_convert():
    converted = default_convert((np.zeros(2, dtype=np.uint8), "a", 1.5))
    assert isinstance(converted, list) and converted[1:] == ["a", 1.5]
    assert converted[0].dtype == ember.uint8  # as torch.as_tensor keeps it


def test_custom_collate_sees_a_list_of_samples():
    seen = []
    loader = DataLoader(dataset(), batch_size=3, collate_fn=lambda b: seen.append(b) or len(b))
    assert list(loader) == [3, 3, 3, 1]
    assert isinstance(seen[0], list) and seen[0][1][1].item() == 1


# ---------------------------------------------------------------------------- one fetch per batch
def assert_same_batches(fast, slow):
    fast, slow = list(fast), list(slow)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert len(a) == len(b)
        for ta, tb in zip(a, b):
            assert ta.dtype == tb.dtype and ta.shape == tb.shape
            np.testing.assert_array_equal(ta.numpy(), tb.numpy())


@pytest.mark.parametrize(
    "make", [dataset, lambda: random_split(dataset(17), [0.6, 0.4])[0], Columns]
)
def test_fast_path_gives_the_per_sample_batches(make):
    ds = make()
    fast = DataLoader(ds, batch_size=4, shuffle=True, generator=ember.Generator().manual_seed(1))
    slow = DataLoader(
        ds,
        batch_size=4,
        shuffle=True,
        generator=ember.Generator().manual_seed(1),
        collate_fn=per_sample,
    )
    assert_same_batches(fast, slow)


def test_fast_path_is_one_fetch_per_batch():
    class Counting(TensorDataset):
        fetches = 0

        def __getitem__(self, index):
            raise AssertionError("per-sample access in the batched path")

        def __getitems__(self, indices):
            Counting.fetches += 1
            return super().__getitems__(indices)

    loader = DataLoader(Counting(*dataset(10).tensors), batch_size=4)
    assert labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and Counting.fetches == 3
    sub = Subset(Counting(*dataset(10).tensors), [5, 6, 7])
    assert labels(DataLoader(sub, batch_size=2)) == [[5, 6], [7]] and Counting.fetches == 5


def test_getitems_returning_a_list_of_samples_is_collated():
    class Listing(Dataset):
        def __getitems__(self, indices):
            return [(i, float(i)) for i in indices]

        def __len__(self):
            return 5

    batches = list(DataLoader(Listing(), batch_size=2))
    assert batches[0][0].tolist() == [0, 1] and batches[2][1].dtype == ember.float64


def test_transform_disables_the_column_path():
    class Transformed(Columns):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return (x if self.transform is None else self.transform(x)), y

    ds = Transformed(6)
    ds.transform = lambda x: x * 0
    x, _ = next(iter(DataLoader(ds, batch_size=3)))
    assert x.tolist() == [[0.0] * 4] * 3


def test_utils_data_is_data():
    import ember.utils.data

    assert ember.utils.data is ember.data
    from ember.utils.data import DataLoader as Loader

    assert Loader is DataLoader
