"""Tensor methods PyTorch programs use to inspect and convert tensors, compared with torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(array):
    return ember.tensor(array), torch.tensor(array)


def test_memory_facts_match_torch():
    for ours, theirs in [_pair(np.arange(24, dtype=np.float32).reshape(2, 3, 4))]:
        for view in (lambda t: t, lambda t: t[1:], lambda t: t.transpose(0, 2), lambda t: t[:, 1]):
            a, b = view(ours), view(theirs)
            assert a.stride() == b.stride() and a.stride(-1) == b.stride(-1)
            assert a.storage_offset() == b.storage_offset()
            assert a.is_contiguous() == b.is_contiguous()
            assert a.contiguous().is_contiguous()
        assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
        assert ours[1:].data_ptr() - ours.data_ptr() == theirs[1:].data_ptr() - theirs.data_ptr()
        assert ours.element_size() == theirs.element_size() and ours.nelement() == 24


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_type_names_and_casts_match_torch(dtype):
    ours = ember.ones(2, dtype=getattr(ember, dtype))
    theirs = torch.ones(2, dtype=getattr(torch, dtype))
    assert ours.type() == theirs.type().replace("torch.", "ember.")
    assert ours.type(ember.float64).dtype == ember.float64
    assert ours.type("torch.LongTensor").dtype == ember.int64
    for method in ("half", "bfloat16", "float", "double", "long", "int", "short", "char", "byte"):
        assert repr(getattr(ours, method)().dtype) == repr(getattr(theirs, method)().dtype).replace(
            "torch.", "ember."
        )


def test_python_conversions_match_torch():
    for ours, theirs in [_pair(2.5), _pair(3), _pair(True)]:
        assert ours.item() == theirs.item() and type(ours.item()) is type(theirs.item())
        assert ours.tolist() == theirs.tolist() and bool(ours) == bool(theirs)
    assert ember.tensor([[1.5, 2.0]], dtype=ember.bfloat16).tolist() == [[1.5, 2.0]]
    assert [10, 20, 30][ember.tensor(1)] == 20 and [10, 20][ember.tensor(True)] == 20
    for lib in (ember, torch):
        with pytest.raises(TypeError, match="only integer tensors"):
            [1, 2][lib.tensor(1.0)]
        with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
            len(lib.tensor(1.0))
        with pytest.raises(RuntimeError, match="numpy\\(\\) on Tensor that requires grad"):
            lib.ones(2, requires_grad=True).numpy()
        assert lib.ones(2, requires_grad=True).numpy(force=True).shape == (2,)
    t = ember.ones(3)
    assert {t: 1}[t] == 1 and hash(t) != hash(ember.ones(3))
    assert np.asarray(t).shape == (3,)


def test_transposes_match_torch():
    ours, theirs = _pair(np.arange(6.0).reshape(2, 3))
    for attr in ("T", "mT", "H", "mH"):
        np.testing.assert_array_equal(getattr(ours, attr).numpy(), getattr(theirs, attr).numpy())
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        _ = ember.ones(2, 2, 2).H
    assert ember.ones(2, 3, 4).mH.shape == (2, 4, 3)
