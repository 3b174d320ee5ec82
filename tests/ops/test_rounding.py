"""Rounding and rounded division beyond the op-spec table: PyTorch's signatures (``input=``,
keyword-only ``out``), integer quotients staying integers, no NumPy warnings on division by zero,
and the zero derivative in forward mode with one dual operand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import forward_ad

UNARY = ["floor", "ceil", "trunc", "round", "frac"]
BINARY = ["floor_divide", "fmod", "remainder"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_takes_input_by_keyword_and_out_only_by_keyword(name):
    fn = getattr(ember, name)
    x = ember.tensor([1.25, -2.75])
    np.testing.assert_array_equal(fn(input=x).numpy(), fn(x).numpy())
    with pytest.raises(TypeError):
        fn(x, ember.empty(2))


@pytest.mark.parametrize("name", [*BINARY, "divide"])
def test_binary_takes_input_and_other_by_keyword_and_out_only_by_keyword(name):
    fn = getattr(ember, name)
    a, b = ember.tensor([7.0, -7.5]), ember.tensor([2.0, 2.0])
    np.testing.assert_array_equal(fn(input=a, other=b).numpy(), fn(a, b).numpy())
    with pytest.raises(TypeError):
        fn(a, b, ember.empty(2))


def test_round_decimals_is_keyword_only():
    x = ember.tensor([1.2345])
    assert ember.round(x, decimals=2).item() == pytest.approx(1.23)
    with pytest.raises(TypeError):
        ember.round(x, 2)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_integer_division_with_rounding_keeps_int64(mode):
    a, b = ember.tensor([7, -7, 6]), ember.tensor([2, 2, -4])
    q = ember.div(a, b, rounding_mode=mode)
    assert q.dtype == ember.int64
    expected = np.trunc(np.array([3.5, -3.5, -1.5])) if mode == "trunc" else [3, -4, -2]
    np.testing.assert_array_equal(q.numpy(), expected)


@pytest.mark.parametrize("name", BINARY)
def test_division_by_zero_gives_no_numpy_warning(name):
    a, b = ember.tensor([1.0, 0.0, -1.0]), ember.zeros(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(ember, name)(a, b)
        ember.div(a, b, rounding_mode="trunc")


@pytest.mark.parametrize("dual_first", [True, False])
def test_forward_mode_with_one_dual_operand_gives_a_zero_tangent_of_the_output_shape(dual_first):
    x = ember.tensor([1.5, 2.5], dtype=ember.float64)
    other = ember.tensor([[2.0], [4.0]], dtype=ember.float64)  # broadcasts to (2, 2)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, ember.ones(2, dtype=ember.float64))
        args = (dual, other) if dual_first else (other, dual)
        for fn in (ember.floor_divide, lambda a, b: ember.div(a, b, rounding_mode="trunc")):
            tangent = forward_ad.unpack_dual(fn(*args))[1]
            assert tangent.shape == (2, 2)
            np.testing.assert_array_equal(tangent.numpy(), np.zeros((2, 2)))


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounded_division_gives_both_operands_a_zero_gradient_as_torch(mode):
    a = ember.tensor([1.5, -2.5], dtype=ember.float64, requires_grad=True)
    b = ember.tensor([2.0, 3.0], dtype=ember.float64, requires_grad=True)
    ember.div(a, b, rounding_mode=mode).sum().backward()
    for x in (a, b):
        assert x.grad is not None  # a zero gradient, not none: torch gives zeros here too
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
