"""RMSprop: steps scaled by a running average of squared gradients (Hinton's lecture 6e)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_nonnegative,
    step_counter,
    sub_scaled,
    torch_options,
)


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, capturable=False, foreach=None, maximize=False, differentiable=False)``.

    With ``g = grad + weight_decay * p``: ``v = alpha * v + (1 - alpha) * g * g``; centered, also
    ``m = alpha * m + (1 - alpha) * g`` and ``v~ = v - m * m``; ``d = sqrt(v~) + eps``. Then
    ``b = momentum * b + g / d; p -= lr * b`` with momentum, else ``p -= lr * g / d``.
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
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
            state["square_avg"] = self._zeros(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = self._zeros(param)
            if group["centered"]:
                state["grad_avg"] = self._zeros(param)
        self._count_step(state)
        g = self._direction(param, grad, group)
        alpha = group["alpha"]
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        scratch = np.multiply(g, g)
        scratch *= 1 - alpha
        square_avg += scratch
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            grad_avg *= alpha
            grad_avg += (1 - alpha) * g
            avg = np.sqrt(square_avg - grad_avg * grad_avg, out=np.empty_like(square_avg))
        else:
            avg = np.sqrt(square_avg, out=np.empty_like(square_avg))
        avg += group["eps"]
        step_dir = np.divide(g, avg, out=avg)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= group["momentum"]
            buf += step_dir
            step_dir = buf
        sub_scaled(param, group["lr"], step_dir)
