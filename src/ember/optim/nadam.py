"""NAdam: Adam with Nesterov momentum and a warming momentum schedule (Dozat, 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_betas,
    check_nonnegative,
    scalar_state,
    step_counter,
    sub_scaled,
    torch_options,
)


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None, maximize=False,
    capturable=False, differentiable=False)``.

    At step ``t`` with ``g`` the gradient after ``maximize`` and weight decay (L2, or decoupled
    ``p *= 1 - lr * weight_decay``): ``mu_t = b1 * (1 - 0.5 * 0.96**(t * momentum_decay))``,
    ``P_t = P_{t-1} * mu_t`` (``mu_product``, float32 as in PyTorch), ``m = b1 * m + (1 - b1) * g``,
    ``v = b2 * v + (1 - b2) * g * g``, ``d = sqrt(v / (1 - b2**t)) + eps``, then
    ``p -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d``.
    """

    _elementwise_update = True
    _scalar_state = frozenset({"step", "mu_product"})

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            **torch_options(foreach, capturable, differentiable),
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = step_counter()
            state["mu_product"] = scalar_state(1.0)
            state["exp_avg"] = self._zeros(param)
            state["exp_avg_sq"] = self._zeros(param)
        step = self._count_step(state)
        g = self._direction(param, grad, group)
        lr, eps, decay = group["lr"], group["eps"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        state["mu_product"]._data *= mu
        mu_product = float(self._scalar(state, "mu_product"))
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        exp_avg += (1 - beta1) * (g - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        denom = np.sqrt(exp_avg_sq / (1 - beta2**step))
        denom += eps
        sub_scaled(param, lr * (1.0 - mu) / (1.0 - mu_product), g / denom)
        sub_scaled(param, lr * mu_next / (1.0 - mu_product * mu_next), exp_avg / denom)
