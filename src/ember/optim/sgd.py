"""Stochastic gradient descent, with momentum and Nesterov momentum (PyTorch's ``SGD``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    ParamsT,
    blocks,
    check_nonnegative,
    fused_option,
    sub_scaled,
)


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None, differentiable=False, fused=None)``.

    With ``g = grad + weight_decay * p`` (negated first under ``maximize``): the momentum buffer
    starts as ``b = g`` and then follows ``b = momentum * b + (1 - dampening) * g``; the step uses
    ``g + momentum * b`` (Nesterov) or ``b`` and moves ``p -= lr * step``.

    >>> import ember
    >>> w = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> w.grad = ember.tensor([1.0, -1.0])
    >>> opt.step()
    >>> w
    tensor([0.9000, 2.1000], requires_grad=True)
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            **fused_option(fused, foreach, differentiable),
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum = group["momentum"]
        if momentum != 0 and "momentum_buffer" in state:
            dampening, nesterov = group["dampening"], group["nesterov"]
            for p, g, buf in blocks(param, grad, state["momentum_buffer"]._data):
                d_p = self._direction(p, g, group)
                buf *= momentum
                buf += (1 - dampening) * d_p if dampening else d_p
                sub_scaled(p, group["lr"], d_p + momentum * buf if nesterov else buf)
            return
        d_p = self._direction(param, grad, group)
        if momentum != 0:  # the first step: the buffer starts as a copy of the direction
            state["momentum_buffer"] = Tensor(d_p, dtype=param.dtype)  # a copy
            buf = state["momentum_buffer"]._data
            d_p = d_p + momentum * buf if group["nesterov"] else buf
        sub_scaled(param, group["lr"], d_p)
