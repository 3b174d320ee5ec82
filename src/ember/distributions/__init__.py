"""Probability distributions with PyTorch's ``torch.distributions`` API: sampling from ember's
default generator, ``rsample`` with gradients, ``log_prob``, moments, ``kl_divergence``."""

from . import constraints, kl_cross
from .bernoulli import Bernoulli, Binomial
from .categorical import Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .normal import Laplace, Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Binomial",
    "Categorical",
    "Distribution",
    "Laplace",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
