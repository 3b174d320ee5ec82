"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2014)."""

from __future__ import annotations

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


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
    maximize=False, differentiable=False, capturable=False)``.

    At step ``t`` with ``g = grad + weight_decay * p`` (negated first under ``maximize``):
    ``m = b1 * m + (1 - b1) * g``, ``u = max(b2 * u, |g| + eps)``,
    ``p -= lr / (1 - b1**t) * m / u`` (``m`` is ``exp_avg``, ``u`` is ``exp_inf``).

    >>> import ember
    >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = Adamax([w], lr=0.1)
    >>> w.grad = ember.tensor([1.0, -1.0])
    >>> opt.step()
    >>> w
    tensor([0.9000, 2.1000], requires_grad=True)
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
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
            **torch_options(foreach, capturable, differentiable),
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = step_counter()
            state["exp_avg"] = self._zeros(param)
            state["exp_inf"] = self._zeros(param)
        step = self._count_step(state)
        g = self._direction(param, grad, group)
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        exp_avg += (1 - beta1) * (g - exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(g) + group["eps"], out=exp_inf)
        sub_scaled(param, group["lr"] / (1 - beta1**step), exp_avg / exp_inf)
