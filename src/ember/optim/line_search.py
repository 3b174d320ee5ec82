"""The strong-Wolfe line search behind ``LBFGS(line_search_fn="strong_wolfe")``: bracketing, then
zooming with safeguarded cubic interpolation (Nocedal & Wright, algorithms 3.5 and 3.6), with the
constants and stopping rules of PyTorch's ``torch.optim.lbfgs``."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# f(x + t d) and its flat gradient, given t and d (the parameters are left unchanged)
Objective = Callable[[float, np.ndarray], tuple[float, np.ndarray]]


def cubic_minimum(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``,
    ``g2``, clipped to ``bounds`` (default: between the two points); their midpoint when the
    cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if not d2_square >= 0:  # also NaN
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        point = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        point = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(point, low), high)


class _Point:
    """One trial step: its length, value, gradient and slope along the direction."""

    __slots__ = ("f", "g", "gtd", "t")

    def __init__(self, t: float, f: float, g: np.ndarray, gtd: float) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(
    evaluate: Objective,
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Search along ``d`` from the point with value ``f``, gradient ``g`` and slope ``gtd``,
    starting at step ``t``. Returns ``(f_new, g_new, t, evaluations)``."""
    d_norm = float(np.abs(d).max())
    f_new, g_new = evaluate(t, d)
    evals = 1
    gtd_new = float(g_new.dot(d))
    prev = _Point(0.0, f, g, gtd)
    bracket: list[_Point] = []
    done = False
    ls_iter = 0
    while ls_iter < max_ls:  # grow the step until an interval holds a Wolfe point
        new = _Point(t, f_new, g_new, gtd_new)
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= prev.f):
            bracket = [prev, new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = [new], True
            break
        if gtd_new >= 0:
            bracket = [prev, new]
            break
        t = cubic_minimum(
            prev.t, prev.f, prev.gtd, t, f_new, gtd_new, (t + 0.01 * (t - prev.t), t * 10)
        )
        prev = new
        f_new, g_new = evaluate(t, d)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [_Point(0.0, f, g, gtd), _Point(t, f_new, g_new, gtd_new)]
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    insufficient = False
    while not done and ls_iter < max_ls:  # zoom into the interval
        a, b = bracket
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t = cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        top, bottom = max(a.t, b.t), min(a.t, b.t)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:  # too close to an end: move in, or note it
            if insufficient or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t, d)
        evals += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        new = _Point(t, f_new, g_new, gtd_new)
        if f_new > f + c1 * t * gtd or f_new >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals
