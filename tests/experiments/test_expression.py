"""The restricted evaluator behind ``--function``."""

import numpy as np
import pytest

from ember.experiments.expression import Expression, ExpressionError

X = np.linspace(-2.0, 2.0, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sin(3*x) + 0.3*x**2", np.sin(3 * X) + 0.3 * X**2),
        ("-x % 1.5", np.mod(-X, 1.5)),
        ("abs(x) * pi - e", np.abs(X) * np.pi - np.e),
        ("maximum(x, 0) + hypot(x, 1)", np.maximum(X, 0) + np.hypot(X, 1)),
        ("2", np.full_like(X, 2.0)),
    ],
)
def test_evaluates_like_numpy(text, expected):
    y = Expression(text)(X)
    assert y.shape == X.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os').system('true')", "not an allowed function"),
        ("x.real", "Attribute is not allowed"),
        ("np.sin(x)", "not an allowed function"),
        ("y + 1", "unknown name 'y'"),
        ("'abc'", "only numbers"),
        ("True + x", "only numbers"),
        ("[x]", "List is not allowed"),
        ("lambda: 0", "Lambda is not allowed"),
        ("x if x else 1", "IfExp is not allowed"),
        ("sin(x, x)", "takes 1 positional argument"),
        ("maximum(x)", "takes 2 positional arguments"),
        ("sin(x=1)", "takes 1 positional argument"),
        ("x +", "cannot parse"),
        ("x" + "+x" * 600, "too long"),
    ],
)
def test_rejects_everything_else(text, message):
    with pytest.raises(ExpressionError, match=message):
        Expression(text)


def test_non_finite_values_are_an_error_and_the_input_is_left_alone():
    x = X.copy()
    with pytest.raises(ExpressionError, match="not finite at x = -2"):
        Expression("log(x)")(x)
    with pytest.raises(ExpressionError, match="not finite"):
        Expression("10**10**10")(x)
    np.testing.assert_array_equal(x, X)
