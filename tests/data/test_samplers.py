"""WeightedRandomSampler, SubsetRandomSampler, BatchSampler over them, and default_collate /
default_convert of nested samples against torch's."""

from collections import namedtuple

import numpy as np
import pytest

import ember
from ember.data import (
    BatchSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
    default_convert,
)


def test_weighted_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0, 0.0, 6.0]
    g = ember.Generator().manual_seed(0)
    draws = list(WeightedRandomSampler(weights, 5000, generator=g))
    counts = np.bincount(draws, minlength=5) / 5000
    assert counts[0] == counts[3] == 0
    np.testing.assert_allclose(counts, np.array(weights) / 10, atol=0.03)
    again = list(WeightedRandomSampler(weights, 5000, generator=ember.Generator().manual_seed(0)))
    assert draws == again and len(WeightedRandomSampler(weights, 7)) == 7


def test_weighted_sampler_without_replacement_and_errors():
    draws = list(WeightedRandomSampler(ember.tensor([1.0, 2.0, 0.5, 4.0]), 4, replacement=False))
    assert sorted(draws) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1.0], 1, replacement=1)
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)


def test_subset_random_sampler_permutes_its_indices():
    indices = [10, 20, 30, 40, 50]
    g = ember.Generator().manual_seed(1)
    sampler = SubsetRandomSampler(indices, generator=g)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == indices and first != second
    assert len(sampler) == 5
    batches = list(BatchSampler(sampler, 2, drop_last=True))
    assert len(batches) == 2 and all(len(b) == 2 for b in batches)


Point = namedtuple("Point", "x y")


def _samples():
    return [
        {
            "image": np.full((2, 2), i, np.float32),
            "label": i,
            "weight": 0.5 * i,
            "flag": i % 2 == 0,
            "name": f"n{i}",
            "pair": (np.int64(i), [float(i), 1.0]),
            "point": Point(i, np.float64(i) / 2),
        }
        for i in range(3)
    ]


def _as_lists(value):
    """Tensors of either library as (dtype name, nested lists); containers kept."""
    if hasattr(value, "dtype") and hasattr(value, "tolist") and not isinstance(value, np.generic):
        return str(value.dtype).split(".")[-1], value.tolist()
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_as_lists(v) for v in value]
    return value


def test_default_collate_and_convert_match_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    from torch.utils.data import default_convert as torch_convert

    samples = _samples()
    assert _as_lists(default_collate(samples)) == _as_lists(torch_collate(samples))
    assert _as_lists(default_convert(samples[1])) == _as_lists(torch_convert(samples[1]))
    assert type(default_collate(samples)["point"]) is Point
    del torch
