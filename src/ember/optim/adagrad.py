"""Adagrad: per-coordinate step sizes from the running sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_nonnegative,
    fused_option,
    step_counter,
    sub_scaled,
)


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None)``.

    At step ``t`` with ``g = grad + weight_decay * p``: ``clr = lr / (1 + (t - 1) * lr_decay)``,
    ``sum += g * g``, ``p -= clr * g / (sqrt(sum) + eps)``. The ``sum`` buffers exist from
    construction on, filled with ``initial_accumulator_value``.
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_nonnegative(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            **fused_option(fused, foreach, differentiable),
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            state = self.state[p]
            state["step"] = step_counter()
            state["sum"] = self._zeros(p._data, group["initial_accumulator_value"])

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        step = self._count_step(state)
        g = self._direction(param, grad, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        acc = state["sum"]._data
        std = np.multiply(g, g, out=np.empty_like(acc))  # the one temporary
        acc += std
        std = np.sqrt(acc, out=std)
        std += group["eps"]
        sub_scaled(param, clr, np.divide(g, std, out=std))
