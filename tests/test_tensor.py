"""Tensor construction, dtypes and PyTorch's promotion rules, conversion, repr."""

import numpy as np
import pytest

import ember


def test_default_dtypes_follow_pytorch():
    assert ember.tensor([1.0, 2.0]).dtype == ember.float32
    assert ember.tensor(np.array([1.0, 2.0])).dtype == ember.float32  # float64 data -> default
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor(np.array([1, 2], dtype=np.int32)).dtype == ember.int32
    assert ember.tensor([True, False]).dtype == ember.bool
    assert ember.tensor([1.0], dtype=ember.float64).dtype == ember.float64
    assert ember.tensor([1.0], dtype="float64").dtype == ember.float64
    assert ember.zeros(2).dtype == ember.float32 and ember.arange(3).dtype == ember.int64


def test_unsupported_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported dtype"):
        ember.tensor([1.0], dtype="uint16")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (ember.ones(2), 2.5, ember.float32),  # Python scalars never upcast
        (ember.ones(2), 2, ember.float32),
        (ember.arange(2), 2.5, ember.float32),  # int tensor * float scalar -> default float
        (ember.arange(2), 2, ember.int64),
        (ember.ones(2), ember.ones(2, dtype=ember.float64), ember.float64),
        (ember.ones(2), ember.tensor(1.0, dtype=ember.float64), ember.float32),  # 0-d is weaker
        (ember.arange(2), ember.tensor(1.5, dtype=ember.float64), ember.float64),
        (ember.ones(2), ember.arange(2), ember.float32),
        (ember.tensor([True]), 1, ember.int64),
    ],
)
def test_type_promotion(a, b, expected):
    assert (a * b).dtype == expected
    assert (b * a).dtype == expected


def test_true_division_of_integers_is_float32():
    assert (ember.arange(1, 4) / 2).dtype == ember.float32


def test_float32_stays_float32_through_scalar_arithmetic():
    x = ember.ones(3, requires_grad=True)
    y = ((x * 2.0 + 1) / 3.0 - 0.5) ** 2
    assert y.dtype == ember.float32
    y.sum().backward()
    assert x.grad.dtype == ember.float32


def test_properties_and_conversion():
    t = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.ndim == 2 and t.dim() == 2 and t.numel() == 4
    assert t.size() == (2, 2) and t.size(-1) == 2 and len(t) == 2
    assert t.device == ember.device("cpu") and t.is_leaf and t.grad_fn is None
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(t.numpy(), np.ndarray)
    assert ember.tensor(3.5).item() == 3.5 and float(ember.tensor([2.0])) == 2.0
    assert t.double().dtype == ember.float64 and t.long().dtype == ember.int64
    assert t.to(ember.float32) is t
    with pytest.raises(RuntimeError, match="cannot be converted to a scalar"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


def test_numpy_of_tensor_requiring_grad_asks_for_detach():
    t = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy().shape == (2,)


def test_detach_shares_data_and_version():
    t = ember.ones(2)
    d = t.detach()
    d.add_(1)
    assert t.numpy()[0] == 2.0 and t._version == 1


def test_repr_looks_like_pytorch():
    assert repr(ember.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ember.tensor([1.5, 2.0])) == "tensor([1.5000, 2.0000])"
    assert repr(ember.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"
    assert repr(ember.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    y = ember.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_device_other_than_cpu_is_refused():
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        ember.zeros(2, device="cuda")
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        ember.ones(2).to("cuda")


def test_generators_are_reproducible():
    g = ember.Generator().manual_seed(7)
    a = ember.randn(5, generator=g)
    g.manual_seed(7)
    np.testing.assert_array_equal(a.numpy(), ember.randn(5, generator=g).numpy())
    ember.manual_seed(3)
    b = ember.rand(4)
    ember.manual_seed(3)
    np.testing.assert_array_equal(b.numpy(), ember.rand(4).numpy())
    assert sorted(ember.randperm(10).tolist()) == list(range(10))


def test_constructors():
    np.testing.assert_array_equal(ember.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(ember.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(ember.eye(2, 3).numpy(), np.eye(2, 3))
    assert ember.full((2, 2), 7).dtype == ember.int64
    assert ember.full((2,), 0.5).dtype == ember.float32
    assert ember.zeros_like(ember.arange(3)).dtype == ember.int64
    r = ember.randint(3, 8, (1000,))
    assert r.dtype == ember.int64 and r.numpy().min() >= 3 and r.numpy().max() <= 7
    with pytest.raises(ValueError, match="invalid size"):
        ember.zeros(-1)


def test_repr_of_non_finite_values():
    assert repr(ember.tensor([1.0, -np.inf, np.nan])) == "tensor([1., -inf, nan])"
    assert repr(ember.tensor([1.5, np.inf])) == "tensor([1.5000,    inf])"  # padded as torch
