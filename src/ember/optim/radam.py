"""RAdam: Adam whose adaptive step is switched on once its variance is tractable (Liu et al.,
2019)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_betas,
    check_nonnegative,
    step_counter,
    sub_scaled,
    torch_options,
)


class RAdam(Optimizer):
    """``RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
    differentiable=False)``.

    At step ``t`` with ``g`` the gradient after ``maximize`` and weight decay (L2, or decoupled
    ``p *= 1 - lr * weight_decay``): ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g *
    g``, ``rho_inf = 2 / (1 - b2) - 1``, ``rho_t = rho_inf - 2 t b2**t / (1 - b2**t)``. While
    ``rho_t <= 5``: ``p -= lr * m / (1 - b1**t)``; after, that step is multiplied by
    ``r_t * sqrt(1 - b2**t) / (sqrt(v) + eps)`` with the rectification
    ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))``.
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative(lr=lr, eps=eps)
        check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
            **torch_options(foreach, capturable, differentiable),
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = step_counter()
            state["exp_avg"] = self._zeros(param)
            state["exp_avg_sq"] = self._zeros(param)
        step = self._count_step(state)
        g = self._direction(param, grad, group)
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        exp_avg += (1 - beta1) * (g - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / correction2
        step_dir = exp_avg / (1 - beta1**step)
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            denom = np.sqrt(exp_avg_sq)
            denom += group["eps"]
            step_dir *= math.sqrt(correction2) * rect / denom
        sub_scaled(param, group["lr"], step_dir)
