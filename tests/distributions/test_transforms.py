"""Transforms against torch.distributions.transforms: forward, inverse, log|det J|, shapes,
sign, inverses, equality, caching; gradchecks of log|det J|."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ed
from ember.autograd.gradcheck import gradcheck

torch = pytest.importorskip("torch")
tt = torch.distributions.transforms

X = np.random.default_rng(0).normal(size=(3, 4))
SCALE = np.random.default_rng(1).uniform(0.5, 2.0, 4)


def _make(module, name):
    to = (
        (lambda a: torch.tensor(a))
        if module is tt
        else (lambda a: ember.tensor(a, dtype=ember.float64))
    )
    return {
        "exp": lambda: module.ExpTransform(),
        "affine": lambda: module.AffineTransform(to(SCALE), to(-SCALE)),
        "affine_event": lambda: module.AffineTransform(1.5, to(SCALE), event_dim=1),
        "sigmoid": lambda: module.SigmoidTransform(),
        "tanh": lambda: module.TanhTransform(),
        "power": lambda: module.PowerTransform(to(SCALE)),
        "softmax": lambda: module.SoftmaxTransform(),
        "stick_breaking": lambda: module.StickBreakingTransform(),
        "compose": lambda: module.ComposeTransform(
            [module.AffineTransform(0.5, 2.0), module.ExpTransform(), module.PowerTransform(0.5)]
        ),
        "inverse_sigmoid": lambda: module.SigmoidTransform().inv,
    }[name]()


NAMES = [
    "exp",
    "affine",
    "affine_event",
    "sigmoid",
    "tanh",
    "power",
    "softmax",
    "stick_breaking",
    "compose",
    "inverse_sigmoid",
]
POSITIVE = {"power"}  # domain is the positive half line
UNIT = {"inverse_sigmoid"}


def _x(name):
    if name in POSITIVE:
        return np.abs(X) + 0.1
    if name in UNIT:
        return 1 / (1 + np.exp(-X))
    return X


@pytest.mark.parametrize("name", NAMES)
def test_transform_matches_torch(name):
    ours, theirs = _make(ed, name), _make(tt, name)
    x = _x(name)
    xe, xt = ember.tensor(x, dtype=ember.float64), torch.tensor(x)
    ye, yt = ours(xe), theirs(xt)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-12, atol=1e-14)
    back = ours.inv(ye).numpy()
    np.testing.assert_allclose(back, theirs.inv(yt).numpy(), rtol=1e-9, atol=1e-12)
    if name != "softmax":
        np.testing.assert_allclose(back, x, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(
            ours.log_abs_det_jacobian(xe, ye).numpy(),
            theirs.log_abs_det_jacobian(xt, yt).numpy(),
            rtol=1e-10,
            atol=1e-12,
        )
    assert ours.forward_shape((3, 4)) == tuple(theirs.forward_shape((3, 4)))
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert ours.bijective == theirs.bijective


@pytest.mark.parametrize("name", ["exp", "affine", "sigmoid", "tanh", "power", "stick_breaking"])
def test_log_abs_det_jacobian_gradcheck(name):
    t = _make(ed, name)
    x = ember.tensor(_x(name)[:1], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), [x])
    assert gradcheck(lambda v: t(v), [x])


def test_inverse_compose_sign_equality_and_cache():
    e = ed.ExpTransform()
    assert e.inv.inv is e and e.inv == ed.ExpTransform().inv
    assert ed.AffineTransform(0.0, -2.0).sign == -1
    compose = ed.ComposeTransform([ed.AffineTransform(0.0, -2.0), ed.ExpTransform()])
    assert compose.sign == -1 and compose.inv.inv is compose
    assert compose == ed.ComposeTransform([ed.AffineTransform(0.0, -2.0), ed.ExpTransform()])
    assert ed.AffineTransform(0.0, 2.0) != ed.AffineTransform(0.0, 3.0)
    assert repr(e.inv) == "_InverseTransform(ExpTransform())"
    cached = ed.ExpTransform(cache_size=1)
    x = ember.tensor([0.5])
    y = cached(x)
    assert cached(x) is y and cached.inv(y) is x
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        ed.ExpTransform(cache_size=2)
    assert ed.identity_transform(x) is x
    with pytest.raises(ValueError, match="Too few dimensions"):
        ed.StickBreakingTransform().forward_shape(())


def test_transformed_distribution_errors_and_expand():
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        ed.TransformedDistribution(ed.Normal(0.0, 1.0), "exp")
    with pytest.raises(ValueError, match="needs to have shape with size at least 1"):
        ed.TransformedDistribution(ed.Normal(0.0, 1.0), ed.StickBreakingTransform())
    d = ed.TransformedDistribution(ed.Normal(ember.zeros(2), 1.0), [ed.ExpTransform()])
    big = d.expand((3, 2))
    assert big.batch_shape == (3, 2) and big.sample().shape == (3, 2)
    assert ed.LogNormal(0.0, 1.0).expand((4,)).sample().shape == (4,)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        ed.Independent(ed.Normal(ember.zeros(2), 1.0), 2)
