"""ExponentialFamily: densities p(x) = h(x) exp(<theta, t(x)> - A(theta)), whose entropy and
same-family KL follow from the log-normaliser A by automatic differentiation (Bregman
divergence), as in PyTorch."""

from __future__ import annotations

from ..autograd import grad
from ..tensor import Tensor
from .distribution import Distribution
from .utils import sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Subclasses give ``_natural_params`` (theta), ``_log_normalizer(*theta)`` (A) and
    ``_mean_carrier_measure`` (E[log h(x)])."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """H = A(theta) - <theta, grad A(theta)> - E[log h(x)] (no gradient to the parameters:
        the natural parameters are detached, as in PyTorch)."""
        result = -self._mean_carrier_measure
        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*params)
        gradients = grad(log_normalizer.sum(), params, create_graph=True)
        result = result + log_normalizer
        for p, g in zip(params, gradients):
            result = result - (p * g).reshape(*self._batch_shape, -1).sum(-1)
        return result


def kl_exponential_family(p: ExponentialFamily, q: ExponentialFamily) -> Tensor:
    """KL(p || q) of one family: the Bregman divergence of A between the natural parameters."""
    if type(p) is not type(q):
        raise NotImplementedError(
            "The cross KL-divergence between different exponential families cannot be computed "
            "using Bregman divergences"
        )
    p_params = [t.detach().requires_grad_() for t in p._natural_params]
    q_params = q._natural_params
    log_normalizer = p._log_normalizer(*p_params)
    gradients = grad(log_normalizer.sum(), p_params, create_graph=True)
    result = q._log_normalizer(*q_params) - log_normalizer
    for pnp, qnp, g in zip(p_params, q_params, gradients):
        result = result - sum_rightmost((qnp - pnp) * g, len(q.event_shape))
    return result
