"""``ember.special``: PyTorch's ``torch.special`` functions that ember provides."""

from .ops.activation import sigmoid as expit
from .ops.incomplete_gamma import igamma as gammainc
from .ops.incomplete_gamma import igammac as gammaincc
from .ops.special import digamma, erfinv, polygamma
from .ops.special import digamma as psi
from .ops.special import lgamma as gammaln
from .ops.transcendental import erf, expm1, log1p

__all__ = [
    "digamma",
    "erf",
    "erfinv",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "log1p",
    "polygamma",
    "psi",
]
