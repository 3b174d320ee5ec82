"""validate_args: PyTorch's errors for bad parameters and for values outside the support, the
class default, expand, and the constraints module."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed
from ember.distributions import constraints

from .cases import CASES, build


@pytest.mark.parametrize(
    ("make", "param", "constraint"),
    [
        (lambda: ed.Normal(0.0, -1.0), "scale", "GreaterThan(lower_bound=0.0)"),
        (lambda: ed.Uniform(1.0, 0.0), "low", "LessThan(upper_bound="),
        (lambda: ed.Laplace(ember.tensor([0.0, float("nan")]), 1.0), "loc", "Real()"),
        (lambda: ed.Bernoulli(probs=1.5), "probs", "Interval(lower_bound=0.0, upper_bound=1.0)"),
        (lambda: ed.Binomial(2.5, probs=0.5), "total_count", "IntegerGreaterThan(lower_bound=0)"),
        (lambda: ed.Categorical(probs=ember.tensor([-0.5, 1.5])), "probs", "Simplex()"),
    ],
)
def test_invalid_parameters_raise_pytorch_errors(make, param, constraint):
    with pytest.raises(ValueError, match=f"Expected parameter {param} \\(Tensor of shape") as err:
        make()
    assert f"to satisfy the constraint {constraint}" in str(err.value)
    assert "but found invalid values:" in str(err.value)


def test_values_outside_the_support_raise():
    with pytest.raises(ValueError, match=r"to be within the support \(Boolean\(\)\)"):
        ed.Bernoulli(0.5).log_prob(ember.tensor(0.5))
    with pytest.raises(ValueError, match=r"IntegerInterval\(lower_bound=0, upper_bound=2\)"):
        ed.Categorical(logits=ember.zeros(3)).log_prob(ember.tensor(3))
    with pytest.raises(ValueError, match="must be a Tensor"):
        ed.Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match="not broadcastable with batch_shape"):
        ed.Normal(ember.zeros(3), 1.0).log_prob(ember.zeros(2))
    with pytest.raises(ValueError, match="right-most size of value must match event_shape"):
        ed.OneHotCategorical(logits=ember.zeros(3)).log_prob(ember.zeros(4))


def test_validation_can_be_turned_off_per_instance_and_by_default():
    assert ed.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    lp = ed.Bernoulli(0.5, validate_args=False).log_prob(ember.tensor(0.5))
    assert np.isfinite(lp.item())
    try:
        ed.Distribution.set_default_validate_args(False)
        ed.Normal(0.0, -1.0)
    finally:
        ed.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ed.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        ed.Distribution.set_default_validate_args("yes")


def test_probs_or_logits_exactly_one():
    for cls in (ed.Bernoulli, ed.Categorical, ed.OneHotCategorical):
        with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
            cls()
        with pytest.raises(ValueError, match="but not both"):
            cls(probs=ember.ones(2) / 2, logits=ember.zeros(2))
    with pytest.raises(ValueError, match="must be at least one-dimensional"):
        ed.Categorical(probs=ember.tensor(1.0))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_expand(case):
    dist = build(case, ed, case.params(np.random.default_rng(0)))
    big = dist.expand((4, *dist.batch_shape))
    assert type(big) is type(dist)
    assert big.batch_shape == (4, *dist.batch_shape) and big.event_shape == dist.event_shape
    assert big.sample((2,)).shape == (2, 4, *dist.batch_shape, *dist.event_shape)
    value = dist.sample()
    np.testing.assert_allclose(big.log_prob(value).numpy()[2], dist.log_prob(value).numpy())
    with pytest.raises(ValueError):
        dist.expand((5,))


def test_constraints_check_and_repr():
    x = ember.tensor([-1.0, 0.0, 0.5, 1.0, float("nan")])
    assert constraints.real.check(x).tolist() == [True, True, True, True, False]
    assert constraints.positive.check(x).tolist() == [False, False, True, True, False]
    assert constraints.unit_interval.check(x).tolist() == [False, True, True, True, False]
    assert constraints.half_open_interval(0.0, 1.0).check(x).tolist()[3] is False
    assert constraints.nonnegative_integer.check(ember.tensor([0.0, 2.0, 1.5, -1.0])).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert constraints.simplex.check(ember.tensor([[0.2, 0.8], [0.5, 0.6]])).tolist() == [
        True,
        False,
    ]
    assert constraints.real_vector.check(ember.tensor([[0.0, float("nan")]])).tolist() == [False]
    lower = ember.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert constraints.lower_cholesky.check(lower).item()
    assert not constraints.lower_cholesky.check(lower.mT).item()
    assert constraints.positive_definite.check(ember.tensor([[2.0, 1.0], [1.0, 2.0]])).item()
    assert not constraints.positive_definite.check(ember.tensor([[1.0, 2.0], [2.0, 1.0]])).item()
    assert repr(constraints.real_vector) == "IndependentConstraint(Real(), 1)"
    assert constraints.is_dependent(ed.Uniform.support)
    assert constraints.integer_interval(0, 3).is_discrete
    with pytest.raises(ValueError, match="dependent"):
        constraints.dependent.check(x)


def test_multivariate_normal_arguments():
    loc = ember.zeros(2)
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        ed.MultivariateNormal(loc)
    with pytest.raises(ValueError, match="Exactly one of"):
        ed.MultivariateNormal(loc, ember.eye(2), scale_tril=ember.eye(2))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        ed.MultivariateNormal(ember.tensor(0.0), ember.eye(1))
    with pytest.raises(ValueError, match="scale_tril matrix must be at least two-dimensional"):
        ed.MultivariateNormal(loc, scale_tril=ember.ones(2))
    with pytest.raises(ValueError, match="constraint PositiveDefinite"):
        ed.MultivariateNormal(loc, ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="constraint LowerCholesky"):
        ed.MultivariateNormal(loc, scale_tril=ember.tensor([[1.0, 1.0], [0.0, 1.0]]))
    m = ed.MultivariateNormal(loc, scale_tril=ember.eye(2).expand(4, 2, 2))
    assert m.batch_shape == (4,) and m.event_shape == (2,) and m.loc.shape == (4, 2)


def test_messages_equal_pytorch_for_scalar_parameters():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    cases = [
        (lambda D: D.Normal(0.0, -1.0), None),
        (lambda D: D.Bernoulli(1.5), None),
        (lambda D: D.Bernoulli(0.5), lambda D, t: D.log_prob(t(0.5))),
        (lambda D: D.Exponential(2.0), lambda D, t: D.log_prob(t(-1.0))),
    ]
    for make, call in cases:
        messages = []
        for module, tensor in ((ed, ember.tensor), (td, torch.tensor)):
            with pytest.raises(ValueError) as err:
                dist = make(module)
                call(dist, tensor)
            messages.append(str(err.value))
        assert messages[0] == messages[1]
