"""L-BFGS: quasi-Newton steps from a limited history of gradient differences, with an optional
strong-Wolfe line search; PyTorch's ``torch.optim.LBFGS`` rule for rule."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, ParamsT, check_nonnegative


class LBFGS(Optimizer):
    """``LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    tolerance_change=1e-9, history_size=100, line_search_fn=None)``.

    ``step(closure)`` needs a closure that zeroes the gradients, recomputes the loss, calls
    ``backward()`` and returns the loss; it runs up to ``max_iter`` iterations (at most
    ``max_eval`` closure calls, default ``max_iter * 5 // 4``) and returns the loss of the first
    call. All parameters form one group and are treated as one flat vector. Without a line search
    each iteration moves ``lr`` (the first ``min(1, 1 / |g|_1) * lr``) along the two-loop
    direction; ``line_search_fn="strong_wolfe"`` picks the step length instead.
    The state (of the first parameter, as in PyTorch) holds ``func_evals``, ``n_iter``, ``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss`` and
    ``al``.

    >>> import ember
    >>> x = ember.tensor([3.0, -2.0], requires_grad=True)
    >>> opt = LBFGS([x], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((x - ember.tensor([1.0, 2.0])) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> opt.step(closure).item()  # the loss before the step
    20.0
    >>> [round(v, 4) for v in x.tolist()]
    [1.0, 2.0]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        check_nonnegative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if getattr(self, "_params", None) is not None:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ flat views
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate(
            [
                np.zeros(p.numel(), p._data.dtype) if p.grad is None else p.grad._data.ravel()
                for p in self._params
            ]
        )

    def _add(self, t: float, d: np.ndarray) -> None:
        """``params += t * d``, ``d`` split over the parameters in order."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += t * d[offset : offset + n].reshape(p.shape)
            p._vc[0] += 1
            offset += n

    def _evaluate_at(
        self, closure: Callable[[], Any], t: float, d: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Loss and flat gradient at ``params + t * d``; the parameters are restored after."""
        saved = [p._data.copy() for p in self._params]
        self._add(t, d)
        loss = float(closure())
        grad = self._flat_grad()
        for p, data in zip(self._params, saved):
            p._data[...] = data
            p._vc[0] += 1
        return loss, grad

    # ------------------------------------------------------------------ the update
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run the iterations; ``closure`` re-evaluates the loss (with gradients) each time it is
        called. Returns the loss of the first call."""
        group = self.param_groups[0]
        closure = enable_grad()(closure)
        with no_grad():
            return self._iterate(closure, group, self.state[self._params[0]])

    def _iterate(
        self, closure: Callable[[], Any], group: dict[str, Any], state: dict[str, Any]
    ) -> Any:
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss
        memory = _Memory.from_state(state)
        d, t = _array(state.get("d")), _number(state.get("t"))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                memory = _Memory([], [], [], 1)
            else:
                memory.push(flat_grad - prev_flat_grad, d * t, history_size)
                d = memory.direction(flat_grad, state, history_size)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            step_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                loss, flat_grad, t, step_evals = strong_wolfe(
                    functools.partial(self._evaluate_at, closure),
                    float(t),
                    d,
                    loss,
                    flat_grad,
                    float(gtd),
                    max_ls=max_eval - evals,
                )
                self._add(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(closure())
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    step_evals = 1
            evals += step_evals
            state["func_evals"] += step_evals
            if (
                n_iter == max_iter
                or evals >= max_eval
                or opt_cond
                or np.abs(d * t).max() <= tolerance_change
                or abs(loss - prev_loss) < tolerance_change
            ):
                break
        dtype = self._params[0].dtype
        state["d"] = _tensor(d, dtype)
        state["t"] = t.item() if isinstance(t, np.generic) else t
        memory.to_state(state, dtype)
        state["prev_flat_grad"] = _tensor(prev_flat_grad, dtype)
        state["prev_loss"] = prev_loss
        return orig_loss


class _Memory:
    """The L-BFGS history: gradient differences ``y`` (``old_dirs``), steps ``s``
    (``old_stps``), ``1 / y.s`` (``ro``) and the initial Hessian scale ``H_diag``."""

    def __init__(self, dirs: list, stps: list, ro: list, h_diag: Any) -> None:
        self.dirs, self.stps, self.ro, self.h_diag = dirs, stps, ro, h_diag

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _Memory:
        return cls(
            [_array(y) for y in state.get("old_dirs", [])],
            [_array(s) for s in state.get("old_stps", [])],
            [_number(r) for r in state.get("ro", [])],
            _number(state.get("H_diag", 1)),
        )

    def push(self, y: np.ndarray, s: np.ndarray, history_size: int) -> None:
        """Remember a curvature pair when ``y.s > 1e-10``, dropping the oldest when full."""
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.dirs) == history_size:
                del self.dirs[0], self.stps[0], self.ro[0]
            self.dirs.append(y)
            self.stps.append(s)
            self.ro.append(1.0 / ys)
            self.h_diag = ys / y.dot(y)

    def direction(
        self, flat_grad: np.ndarray, state: dict[str, Any], history_size: int
    ) -> np.ndarray:
        """The two-loop recursion: ``-H g`` with the inverse-Hessian estimate ``H``. The first
        loop's coefficients stay in ``state["al"]``, as in PyTorch."""
        if "al" not in state:
            state["al"] = [None] * history_size
        al = state["al"]
        dtype = flat_grad.dtype
        q = -flat_grad
        for i in range(len(self.dirs) - 1, -1, -1):
            a = self.stps[i].dot(q) * self.ro[i]
            al[i] = _tensor(a, dtype)
            q = q - a * self.dirs[i]
        r = q * self.h_diag
        for i in range(len(self.dirs)):
            be_i = self.dirs[i].dot(r) * self.ro[i]
            r = r + (_number(al[i]) - be_i) * self.stps[i]
        return r

    def to_state(self, state: dict[str, Any], dtype: Any) -> None:
        state["old_dirs"] = [_tensor(y, dtype) for y in self.dirs]
        state["old_stps"] = [_tensor(s, dtype) for s in self.stps]
        state["ro"] = [_tensor(r, dtype) for r in self.ro]
        state["H_diag"] = (
            self.h_diag if isinstance(self.h_diag, int) else _tensor(self.h_diag, dtype)
        )


def _tensor(value: Any, dtype: Any) -> Tensor:
    return Tensor(np.asarray(value, dtype=dtype), dtype=dtype)


def _array(value: Any) -> Any:
    """A state tensor as a NumPy array (None stays None)."""
    return value._data if isinstance(value, Tensor) else value


def _number(value: Any) -> Any:
    """A state scalar (0-d tensor or number) as a NumPy scalar or Python number."""
    return value._data[()] if isinstance(value, Tensor) else value
