"""Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and shrink when it
flips; only the gradient's sign is used (Riedmiller & Braun, 1993)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamsT, check_nonnegative, step_counter, torch_options


class Rprop(Optimizer):
    """``Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
    foreach=None, maximize=False, differentiable=False)``.

    With ``g`` the gradient (negated under ``maximize``) and ``g_prev`` the last one used
    (``prev``): where ``g * g_prev > 0`` the step size grows by ``etas[1]``, where it is ``< 0`` it
    shrinks by ``etas[0]`` and that coordinate's ``g`` counts as 0 (no move, no sign memory);
    step sizes (starting at ``lr``) stay within ``step_sizes``; ``p -= sign(g) * step_size``.
    """

    _elementwise_update = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            maximize=maximize,
            **torch_options(foreach, capturable, differentiable),
        )
        super().__init__(params, defaults)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = step_counter()
            state["prev"] = self._zeros(param)
            state["step_size"] = self._zeros(param, group["lr"])
        self._count_step(state)
        g = self._direction(param, grad, group)
        eta_minus, eta_plus = group["etas"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        agreement = np.sign(g * prev)
        factor = np.where(agreement > 0, eta_plus, np.where(agreement < 0, eta_minus, 1.0))
        step_size *= factor.astype(step_size.dtype, copy=False)
        np.clip(step_size, *group["step_sizes"], out=step_size)
        g = np.where(agreement < 0, 0, g).astype(param.dtype, copy=False)
        param -= np.sign(g) * step_size
        prev[...] = g
