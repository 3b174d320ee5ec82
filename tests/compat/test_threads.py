"""``ember.set_num_threads`` and friends: PyTorch's names, values and errors; the BLAS follows."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.compat import threads


@pytest.fixture(autouse=True)
def restored(monkeypatch):
    """Each test starts with nothing recorded and leaves the BLAS's thread count as it was."""
    monkeypatch.setattr(threads, "_set", {})
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


@pytest.mark.parametrize("n", [1, 2, np.int64(3)])
def test_set_then_get(n):
    ember.set_num_threads(n)
    assert ember.get_num_threads() == int(n)


def test_the_blas_of_numpy_is_reached():
    """NumPy's wheels bring OpenBLAS: its own thread count is what was set."""
    if not any("openblas" in p.lower() for p in threads._loaded_libraries()):
        pytest.skip("NumPy here is not linked to OpenBLAS")
    getter = threads._openblas()[1]
    ember.set_num_threads(1)
    assert getter() == 1
    ember.set_num_threads(2)
    assert getter() == 2


BAD = [
    (0, RuntimeError, "set_num_threads expects a positive integer"),
    (-1, RuntimeError, "set_num_threads expects a positive integer"),
    (1.5, RuntimeError, "set_num_threads expects an int, but got float"),
    ("2", RuntimeError, "set_num_threads expects an int, but got str"),
    (True, RuntimeError, "set_num_threads expects an int, but got bool"),
    (2**40, ValueError, "Overflow when unpacking long"),
]


@pytest.mark.parametrize(("value", "error", "message"), BAD)
def test_bad_counts_raise_as_pytorch(value, error, message):
    with pytest.raises(error, match=message):
        ember.set_num_threads(value)
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=message):
        torch.set_num_threads(value)


def test_interop_threads_are_set_once():
    assert ember.get_num_interop_threads() >= 1
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive integer"):
        ember.set_num_interop_threads(0)
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        ember.set_num_interop_threads(2)
    assert ember.get_num_interop_threads() == 3


def test_without_openblas_the_number_is_kept(monkeypatch):
    monkeypatch.setattr(threads, "_openblas", lambda: None)
    ember.set_num_threads(5)
    assert ember.get_num_threads() == 5
