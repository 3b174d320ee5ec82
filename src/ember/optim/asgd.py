"""ASGD: SGD with a decaying step and a running (Polyak-Ruppert) average of the iterates."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import (
    Optimizer,
    ParamsT,
    check_nonnegative,
    scalar_state,
    step_counter,
    torch_options,
)


class ASGD(Optimizer):
    """``ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
    maximize=False, differentiable=False, capturable=False)``.

    At step ``t`` with ``g = grad + weight_decay * p`` (negated first under ``maximize``):
    ``p = p * (1 - lambd * eta) - eta * g``; the average ``ax`` copies ``p`` while ``mu == 1``
    and follows ``ax += mu * (p - ax)`` after; then ``eta = lr / (1 + lambd * lr * t)**alpha``
    and ``mu = 1 / max(1, t - t0)``. ``eta`` and ``mu`` are float32 0-d tensors, as in PyTorch;
    the average is in ``state["ax"]``, the parameter itself is never replaced by it.
    """

    _elementwise_update = True
    _scalar_state = frozenset({"step", "eta", "mu"})

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
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
            state["eta"] = scalar_state(group["lr"])
            state["mu"] = scalar_state(1.0)
            state["ax"] = self._zeros(param)
        step = self._count_step(state)
        g = self._direction(param, grad, group)
        lr, lambd = group["lr"], group["lambd"]
        eta = float(self._scalar(state, "eta"))
        param *= 1 - lambd * eta
        param -= eta * g
        ax = state["ax"]._data
        mu = self._scalar(state, "mu")  # float32, as PyTorch keeps it
        if mu != 1:
            ax += (param - ax) * mu
        else:
            ax[...] = param
        state["eta"]._data[...] = lr / (1 + lambd * lr * step) ** group["alpha"]
        state["mu"]._data[...] = 1 / max(1, step - group["t0"])
