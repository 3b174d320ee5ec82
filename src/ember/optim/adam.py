"""Adam: bias-corrected running moments of the gradient (Kingma & Ba, 2014)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    blocks,
    check_betas,
    check_nonnegative,
    fused_option,
    step_counter,
    sub_scaled,
    torch_options,
)


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
    decoupled_weight_decay=False)``.

    At step ``t`` with ``g = grad + weight_decay * p`` (or, decoupled, ``p *= 1 - lr *
    weight_decay`` and ``g = grad``): ``m = b1 * m + (1 - b1) * g``, ``v = b2 * v + (1 - b2) * g *
    g`` (amsgrad: ``v_max = max(v_max, v)`` is used in place of ``v``), then
    ``p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``.
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        check_nonnegative(lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(betas)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            **torch_options(foreach, capturable, differentiable),
            **fused_option(fused, foreach, differentiable),
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = step_counter()
            state["exp_avg"] = self._zeros(param)
            state["exp_avg_sq"] = self._zeros(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._zeros(param)
        step = self._count_step(state)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        arrays = [param, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data]
        if group["amsgrad"]:
            arrays.append(state["max_exp_avg_sq"]._data)
        scale = lr / (1 - beta1**step)
        root = math.sqrt(1 - beta2**step)
        for p, g, exp_avg, exp_avg_sq, *most in blocks(*arrays):
            g = self._direction(p, g, group)
            scratch = np.subtract(g, exp_avg, out=np.empty_like(exp_avg))  # the one temporary
            scratch *= 1 - beta1
            exp_avg += scratch
            exp_avg_sq *= beta2
            scratch = np.multiply(g, g, out=scratch)
            scratch *= 1 - beta2
            exp_avg_sq += scratch
            second = np.maximum(most[0], exp_avg_sq, out=most[0]) if most else exp_avg_sq
            denom = np.sqrt(second, out=scratch)
            denom /= root
            denom += group["eps"]
            sub_scaled(p, scale, np.divide(exp_avg, denom, out=denom))
