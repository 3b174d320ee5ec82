"""Datasets, random_split and samplers."""

import numpy as np
import pytest

import ember
from ember.data import (
    BatchSampler,
    ConcatDataset,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    """Sample i is (i, i * i) as Python ints."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i, i * i

    def __len__(self):
        return self.n


def tensors(n=10):
    x = ember.tensor(np.arange(3 * n, dtype=np.float32).reshape(n, 3))
    y = ember.arange(n)
    return x, y


# ---------------------------------------------------------------------------- datasets
def test_tensor_dataset_samples_and_batches():
    x, y = tensors()
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[4]
    assert xi.tolist() == [12.0, 13.0, 14.0] and yi.item() == 4 and xi.dtype == ember.float32
    bx, by = ds.__getitems__([4, 0, 4])
    assert bx.tolist() == [x[4].tolist(), x[0].tolist(), x[4].tolist()]
    assert by.tolist() == [4, 0, 4] and by.dtype == ember.int64
    with pytest.raises(ValueError, match=r"size mismatch.*\(10, 3\), \(9,\)"):
        TensorDataset(x, ember.arange(9))


def test_subset_maps_indices():
    ds = Subset(Squares(10), [7, 2, 5])
    assert len(ds) == 3 and ds[0] == (7, 49) and ds[-1] == (5, 25)
    assert ds.__getitems__([2, 0]) == [(5, 25), (7, 49)]
    x, y = tensors()
    sub = Subset(TensorDataset(x, y), [9, 3, 1])
    assert sub.__getitems__([1, 2])[1].tolist() == [3, 1]
    sub.indices = [0, 1, 2]  # a new index list is picked up
    assert sub.__getitems__([1, 2])[1].tolist() == [1, 2]


def test_concat_dataset():
    ds = ConcatDataset([Squares(3), Squares(2), Squares(4)])
    assert len(ds) == 9 and ds.cumulative_sizes == [3, 5, 9]
    assert [ds[i][0] for i in range(9)] == [0, 1, 2, 0, 1, 0, 1, 2, 3]
    assert ds[-1] == (3, 9) and ds[-9] == (0, 0)
    with pytest.raises(IndexError):
        ds[9]
    with pytest.raises(ValueError, match="should not exceed"):
        ds[-10]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    both = Squares(2) + Squares(1)
    assert isinstance(both, ConcatDataset) and len(both) == 3


def test_random_split_lengths():
    parts = random_split(Squares(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(10))
    again = random_split(Squares(10), [3, 7], generator=ember.Generator().manual_seed(1))
    assert [p.indices for p in parts] == [p.indices for p in again]
    other = random_split(Squares(10), [3, 7], generator=ember.Generator().manual_seed(2))
    assert [p.indices for p in parts] != [p.indices for p in other]


def test_random_split_fractions_give_the_remainder_to_the_first_splits():
    parts = random_split(Squares(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]
    assert len({i for p in parts for i in p.indices}) == 10
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Squares(3), [0.9, 0.1])
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(Squares(10), [3, 3])


def test_random_split_uses_the_global_seed():
    ember.manual_seed(5)
    a = [p.indices for p in random_split(Squares(20), [10, 10])]
    ember.manual_seed(5)
    b = [p.indices for p in random_split(Squares(20), [10, 10])]
    assert a == b


# ---------------------------------------------------------------------------- samplers
def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    sampler = RandomSampler(range(8), generator=ember.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(8)) and first != second
    assert len(sampler) == 8


def test_random_sampler_num_samples_and_replacement():
    more = list(RandomSampler(range(3), num_samples=7))
    assert len(more) == 7 and sorted(more[:6]) == [0, 0, 1, 1, 2, 2]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(0))


def test_batch_sampler():
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, False)) == 3 and len(BatchSampler(range(5), 2, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(5), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(5), 2, 1)
