"""One table of distributions for the tests: random float64 parameters, how to build the
distribution from a module (``ember.distributions`` or ``torch.distributions``), values in the
support, and which statistics have closed forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

BATCH = (3, 2)


@dataclass
class Case:
    """``params(rng)`` gives float64 arrays (the differentiable ones listed in ``grad``, the rest
    are passed as they are); ``build(D, p)`` builds the distribution from module ``D``;
    ``value(rng, shape)`` draws points of the support of shape ``shape + event_shape``."""

    name: str
    params: Callable[[np.random.Generator], dict[str, Any]]
    build: Callable[[Any, dict[str, Any]], Any]
    value: Callable[[np.random.Generator, tuple], np.ndarray]
    stats: tuple[str, ...] = ("mean", "variance", "stddev", "entropy")
    cdf: bool = False
    icdf: bool = False
    grad: tuple[str, ...] = ()
    event_shape: tuple[int, ...] = ()
    batch: tuple[int, ...] = BATCH
    cdf_grad: tuple[str, ...] | None = None  # the parameters cdf is differentiable in (all)

    @property
    def shape(self) -> tuple[int, ...]:
        """batch_shape + event_shape."""
        return (*self.batch, *self.event_shape)


def _pos(rng: np.random.Generator, lo: float = 0.5, hi: float = 2.0) -> np.ndarray:
    return rng.uniform(lo, hi, BATCH)


def _real(rng: np.random.Generator, shape: tuple = BATCH) -> np.ndarray:
    return rng.normal(size=shape)


def _unit(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.1, 0.9, BATCH)


def _bits(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return (rng.random(shape) < 0.5).astype(float)


K = 4


CASES = [
    Case(
        "Normal",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng)},
        lambda D, p: D.Normal(p["loc"], p["scale"]),
        lambda rng, s: rng.normal(size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        icdf=True,
        grad=("loc", "scale"),
    ),
    Case(
        "Laplace",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng)},
        lambda D, p: D.Laplace(p["loc"], p["scale"]),
        lambda rng, s: rng.normal(size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        icdf=True,
        grad=("loc", "scale"),
    ),
    Case(
        "Uniform",
        lambda rng: {"low": -_pos(rng), "high": _pos(rng)},
        lambda D, p: D.Uniform(p["low"], p["high"]),
        lambda rng, s: rng.uniform(-0.45, 0.45, s),
        cdf=True,
        icdf=True,
        grad=("low", "high"),
    ),
    Case(
        "Bernoulli_probs",
        lambda rng: {"probs": _unit(rng)},
        lambda D, p: D.Bernoulli(probs=p["probs"]),
        _bits,
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        grad=("probs",),
    ),
    Case(
        "Bernoulli_logits",
        lambda rng: {"logits": _real(rng)},
        lambda D, p: D.Bernoulli(logits=p["logits"]),
        _bits,
        grad=("logits",),
    ),
    Case(
        "Binomial",
        lambda rng: {"total_count": 7.0, "probs": _unit(rng)},
        lambda D, p: D.Binomial(p["total_count"], probs=p["probs"]),
        lambda rng, s: rng.integers(0, 8, s).astype(float),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        grad=("probs",),
    ),
    Case(
        "Binomial_logits",
        lambda rng: {"total_count": rng.integers(1, 9, BATCH).astype(float), "logits": _real(rng)},
        lambda D, p: D.Binomial(p["total_count"], logits=p["logits"]),
        lambda rng, s: rng.integers(0, 2, s).astype(float),
        stats=("mean", "mode", "variance"),
        grad=("logits",),
    ),
    Case(
        "Categorical_probs",
        lambda rng: {"probs": rng.uniform(0.1, 1.0, (*BATCH, K))},
        lambda D, p: D.Categorical(probs=p["probs"]),
        lambda rng, s: rng.integers(0, K, s),
        stats=("mode", "entropy"),
        grad=("probs",),
    ),
    Case(
        "Categorical_logits",
        lambda rng: {"logits": _real(rng, (*BATCH, K))},
        lambda D, p: D.Categorical(logits=p["logits"]),
        lambda rng, s: rng.integers(0, K, s),
        stats=("mode", "entropy"),
        grad=("logits",),
    ),
    Case(
        "OneHotCategorical",
        lambda rng: {"logits": _real(rng, (*BATCH, K))},
        lambda D, p: D.OneHotCategorical(logits=p["logits"]),
        lambda rng, s: np.eye(K)[rng.integers(0, K, s[:-1])],
        stats=("mean", "mode", "variance", "entropy"),
        grad=("logits",),
        event_shape=(K,),
    ),
]


def _simplex(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.dirichlet(np.ones(shape[-1]), shape[:-1])


CASES += [
    Case(
        "Exponential",
        lambda rng: {"rate": _pos(rng)},
        lambda D, p: D.Exponential(p["rate"]),
        lambda rng, s: rng.exponential(size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        icdf=True,
        grad=("rate",),
    ),
    Case(
        "Gamma",
        lambda rng: {"concentration": _pos(rng, 0.3, 3.0), "rate": _pos(rng)},
        lambda D, p: D.Gamma(p["concentration"], p["rate"]),
        lambda rng, s: rng.gamma(1.5, size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        grad=("concentration", "rate"),
        cdf_grad=("rate",),  # igamma has no derivative in the concentration (as in PyTorch)
    ),
    Case(
        "Poisson",
        lambda rng: {"rate": _pos(rng, 0.5, 5.0)},
        lambda D, p: D.Poisson(p["rate"]),
        lambda rng, s: rng.poisson(2.0, s).astype(float),
        stats=("mean", "mode", "variance", "stddev"),
        grad=("rate",),
    ),
    Case(
        "Beta",
        lambda rng: {"concentration1": _pos(rng, 0.5, 3.0), "concentration0": _pos(rng, 0.5, 3.0)},
        lambda D, p: D.Beta(p["concentration1"], p["concentration0"]),
        lambda rng, s: rng.uniform(0.05, 0.95, s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        grad=("concentration1", "concentration0"),
    ),
    Case(
        "Dirichlet",
        lambda rng: {"concentration": rng.uniform(0.5, 3.0, (*BATCH, K))},
        lambda D, p: D.Dirichlet(p["concentration"]),
        _simplex,
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        grad=("concentration",),
        event_shape=(K,),
    ),
]

CASES += [
    Case(
        "LogNormal",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng, 0.2, 0.5)},
        lambda D, p: D.LogNormal(p["loc"], p["scale"]),
        lambda rng, s: rng.lognormal(size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        icdf=True,
        grad=("loc", "scale"),
    ),
    Case(
        "Independent",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng)},
        lambda D, p: D.Independent(D.Normal(p["loc"], p["scale"]), 1),
        lambda rng, s: rng.normal(size=s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        grad=("loc", "scale"),
        event_shape=BATCH[-1:],
        batch=BATCH[:-1],
    ),
    Case(
        "Transformed_affine_sigmoid",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng), "shift": _real(rng)},
        lambda D, p: D.TransformedDistribution(
            D.Normal(p["loc"], p["scale"]),
            [D.AffineTransform(p["shift"], -2.0), D.SigmoidTransform()],
        ),
        lambda rng, s: rng.uniform(0.05, 0.95, s),
        stats=(),
        cdf=True,
        icdf=True,
        grad=("loc", "scale", "shift"),
    ),
    Case(
        "Transformed_tanh_power",
        lambda rng: {"loc": _real(rng), "scale": _pos(rng)},
        lambda D, p: D.TransformedDistribution(
            D.Laplace(p["loc"], p["scale"]),
            [D.ExpTransform(), D.PowerTransform(0.5), D.TanhTransform()],
        ),
        lambda rng, s: rng.uniform(0.8, 0.99, s),
        stats=(),
        cdf=True,
        icdf=True,
        grad=("loc", "scale"),
    ),
    Case(
        "Transformed_stick_breaking",
        lambda rng: {"loc": _real(rng, (*BATCH, K - 1)), "scale": rng.uniform(0.5, 2, K - 1)},
        lambda D, p: D.TransformedDistribution(
            D.Independent(D.Normal(p["loc"], p["scale"]), 1), D.StickBreakingTransform()
        ),
        _simplex,
        stats=(),
        grad=("loc", "scale"),
        event_shape=(K,),
    ),
]

CASES += [
    Case(
        "Chi2",
        lambda rng: {"df": _pos(rng, 0.5, 6.0)},
        lambda D, p: D.Chi2(p["df"]),
        lambda rng, s: rng.chisquare(3.0, s),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        grad=("df",),
        cdf_grad=(),
    ),
    Case(
        "HalfNormal",
        lambda rng: {"scale": _pos(rng)},
        lambda D, p: D.HalfNormal(p["scale"]),
        lambda rng, s: np.abs(rng.normal(size=s)),
        stats=("mean", "mode", "variance", "stddev", "entropy"),
        cdf=True,
        icdf=True,
        grad=("scale",),
    ),
]

N = 3  # the dimension of the multivariate normals


def _tril(rng: np.random.Generator) -> np.ndarray:
    lower = np.tril(rng.normal(size=(BATCH[0], N, N)), -1)
    return lower + np.eye(N) * rng.uniform(0.5, 1.5, (BATCH[0], N, 1))


def _mvn_params(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "loc": rng.normal(size=(BATCH[0], N)),
        "factor": rng.normal(size=(BATCH[0], N, N)),
        "identity": np.eye(N),
    }


def _spd(p: dict[str, Any]) -> Any:
    return p["factor"] @ p["factor"].mT + p["identity"]


_MVN = {
    "stats": ("mean", "mode", "variance", "stddev", "entropy"),
    "event_shape": (N,),
    "batch": BATCH[:1],
}
CASES += [
    Case(
        "MultivariateNormal_covariance",
        _mvn_params,
        lambda D, p: D.MultivariateNormal(p["loc"], covariance_matrix=_spd(p)),
        lambda rng, s: rng.normal(size=s),
        grad=("loc", "factor"),
        **_MVN,
    ),
    Case(
        "MultivariateNormal_precision",
        _mvn_params,
        lambda D, p: D.MultivariateNormal(p["loc"], precision_matrix=_spd(p)),
        lambda rng, s: rng.normal(size=s),
        grad=("loc", "factor"),
        **_MVN,
    ),
    Case(
        "MultivariateNormal_scale_tril",
        lambda rng: {"loc": rng.normal(size=N), "scale_tril": _tril(rng)},
        lambda D, p: D.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"]),
        lambda rng, s: rng.normal(size=s),
        grad=("loc", "scale_tril"),
        **_MVN,
    ),
]

BY_NAME = {c.name: c for c in CASES}


def build(case: Case, module: Any, params: dict[str, Any], requires_grad: bool = False) -> Any:
    """The distribution of ``case`` in ``module`` with ``params`` as that module's float64
    tensors (numbers stay numbers)."""
    converted = {}
    for key, value in params.items():
        converted[key] = value if np.isscalar(value) else tensor_of(module, value, requires_grad)
    return case.build(module, converted)


def tensor_of(module: Any, value: np.ndarray, requires_grad: bool = False) -> Any:
    if module.__name__.startswith("torch"):
        import torch

        return torch.tensor(value, dtype=torch.float64 if value.dtype.kind == "f" else None)
    import ember

    dtype = ember.float64 if value.dtype.kind == "f" else None
    return ember.tensor(value, dtype=dtype, requires_grad=requires_grad and dtype is not None)
