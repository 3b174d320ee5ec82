"""Probability distributions with PyTorch's ``torch.distributions`` API: sampling from ember's
default generator, ``rsample`` with gradients, ``log_prob``, moments, ``kl_divergence``."""

from . import constraints, kl_cross, transforms
from .bernoulli import Bernoulli, Binomial
from .categorical import Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .gamma import Chi2, Exponential, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Laplace, Normal
from .poisson import Poisson
from .transformed import HalfNormal, LogNormal, TransformedDistribution
from .transforms import *
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Chi2",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Gamma",
    "HalfNormal",
    "Independent",
    "Laplace",
    "LogNormal",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "TransformedDistribution",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transforms",
    *transforms.__all__,
]
