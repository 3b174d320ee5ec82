"""``Optimizer``: parameter groups, per-parameter state and PyTorch's checkpoint layout.

Subclasses give their defaults and one rule, ``_update(param, grad, state, group)``, that changes
the parameter's array in place with NumPy. The base class walks the groups under ``no_grad``, skips
parameters without a gradient and bumps each updated parameter's version counter. A rule that is
elementwise (``_elementwise_update``) also runs once per group on flat buffers (``flat.py``): the
``foreach``/``fused`` path. Every ``_flush_every`` steps it sets the subnormal
entries of the state to zero (see ``_flush_state``).
"""

from __future__ import annotations

import copy
import itertools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import flush_subnormal
from ..tensor import Tensor
from .flat import FlatPlans

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base of all optimizers: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups, each with its own ``"params"`` and any options that override ``defaults``).
    """

    # The rule is elementwise with scalar hyper-parameters and its scalar state entries are these
    # 0-d keys: it can run on the concatenation of a group's parameters.
    _elementwise_update = False
    _scalar_state = frozenset({"step"})

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._flat = FlatPlans()
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones come from ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        if params and isinstance(params[0], tuple):
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters",
                UserWarning,
                stacklevel=2,
            )
        if any(id(p) in ids for g in self.param_groups for p in g["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        named = "param_names" in group
        if self.param_groups and named != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names.")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ the update
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None, or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad._data = np.zeros_like(p.grad._data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` (re-evaluating the loss with
        gradients on) runs first and its value is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for index, group in enumerate(self.param_groups):
                if self._elementwise_update and uses_flat(group):
                    self._flat.step_group(self, index, group)
                    continue
                for p in group["params"]:
                    if p.grad is not None:
                        self._step_one(p, group)
        self._flush_state()
        return loss

    def _step_one(self, p: Tensor, group: dict[str, Any]) -> None:
        """The update of one parameter that has a gradient."""
        check_step_options(group, p)
        self._update(p._data, p.grad._data, self.state[p], group)
        p._vc[0] += 1

    _flush_every = 100  # steps between two passes that zero the subnormal entries of the state
    _steps = 0

    def _flush_state(self) -> None:
        """Every ``_flush_every`` steps, zero the state entries below the smallest normal float.

        A running average whose gradient entry stays exactly 0 (a pixel that is 0 in the whole
        batch, a ReLU unit no example activates) shrinks by its beta each step, through the
        subnormal range, where it sticks at a few multiples of the smallest subnormal: on many
        CPUs every operation on such a value is many times slower. Zeroing them changes results
        by float rounding at most (Adam moves such a parameter by under ``lr * 1.2e-38 / eps``),
        and one pass costs about a third of an Adam step, so 0.3% of the optimizer's time.

        The clock is the step count kept in the state (of the first parameter that has one), so a
        run resumed from a ``state_dict`` flushes at the same steps as one that was never
        stopped; an optimizer without a step count in its state (SGD) counts its own steps."""
        first = next(iter(self.state.values()), None)
        step = None if first is None else first.get("step")
        if step is None:
            self._steps += 1
            count = self._steps
        else:
            count = int(step._data if isinstance(step, Tensor) else step)
        if count % self._flush_every:
            return
        for state in self.state.values():
            for value in state.values():
                if isinstance(value, Tensor) and value.ndim:
                    flush_subnormal(value._data)

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Change ``param`` in place from ``grad`` (never modify ``grad``)."""
        raise NotImplementedError

    @staticmethod
    def _direction(param: np.ndarray, grad: np.ndarray, group: dict[str, Any]) -> np.ndarray:
        """The gradient as the rules see it: negated under ``maximize``, plus the L2 term
        ``weight_decay * param``; with ``decoupled_weight_decay`` the decay instead shrinks
        ``param *= 1 - lr * weight_decay`` in place. A new array when it differs from ``grad``."""
        if group.get("maximize", False):
            grad = -grad
        wd = group.get("weight_decay", 0)
        if wd == 0:
            return grad
        if group.get("decoupled_weight_decay", False):
            param *= 1 - group["lr"] * wd
            return grad
        return grad + wd * param

    @staticmethod
    def _zeros(param: np.ndarray, fill: float = 0.0) -> Tensor:
        """A state buffer: the parameter's shape and dtype, filled with ``fill``."""
        return Tensor(np.full_like(param, fill), dtype=param.dtype)

    @staticmethod
    def _count_step(state: dict[str, Any]) -> float:
        """Advance the step counter in ``state`` and return its new value."""
        step = state["step"]._data
        step += 1
        return step.item(0)

    @staticmethod
    def _scalar(state: dict[str, Any], key: str) -> np.generic:
        """The value of a scalar state entry (on flat buffers the entry holds one equal slot per
        parameter)."""
        return state[key]._data.flat[0]

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``; parameters
        are numbered in group order and the state tensors are the optimizer's own. Parameters
        with no state are left out, as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)] if isinstance(p, Tensor) else p: dict(s)
            for p, s in self.state.items()
            if s  # a parameter whose rule keeps no state (SGD without momentum) is left out
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state from ``state_dict`` (tensors are copied, floating ones cast to
        their parameter's dtype; the ``step`` counters keep theirs)."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        sizes = zip(saved_groups, self.param_groups)
        if any(len(s["params"]) != len(g["params"]) for s, g in sizes):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                itertools.chain.from_iterable(g["params"] for g in saved_groups),
                itertools.chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                p = id_map[key]
                state[p] = {k: _cast_state(p, k, v) for k, v in value.items()}
            else:
                state[key] = copy.deepcopy(value)
        groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            saved["params"] = group["params"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            groups.append(saved)
        self.__setstate__({"state": state, "param_groups": groups})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._flat = FlatPlans()

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _cast_state(param: Tensor, key: str, value: Any) -> Any:
    """A copy of one loaded state value, as the optimizer keeps it."""
    if isinstance(value, np.ndarray):
        value = Tensor(value, dtype=value.dtype)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    keep = key == "step" or not (param.is_floating_point() and value.is_floating_point())
    return Tensor(value._data, dtype=value.dtype if keep else param.dtype)


_CHUNK = 1 << 16  # elements: a float32 scratch of 256 KiB, which stays in the cache


def blocks(*arrays: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Aligned pieces of _CHUNK elements of equally shaped C-contiguous arrays (the arrays whole
    where they are small or not contiguous), so that an elementwise rule's passes over a piece
    stay in the cache instead of streaming each whole array through memory once per pass."""
    first = arrays[0]
    if first.size <= _CHUNK or not all(
        a.flags.c_contiguous and a.shape == first.shape for a in arrays
    ):
        yield arrays
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, first.size, _CHUNK):
        yield tuple(a[start : start + _CHUNK] for a in flat)


def sub_scaled(param: np.ndarray, scale: float, x: np.ndarray) -> None:
    """``param -= scale * x`` in place. A large contiguous ``param`` is updated block by block
    through one cache-sized scratch: no temporary the size of ``x``, and about 40% faster."""
    scratch = None
    for p, part in blocks(param, x):
        if part is x:  # small or not contiguous: one pass over the whole
            p -= scale * part
            return
        if scratch is None:
            scratch = np.empty(_CHUNK, x.dtype)
        p -= np.multiply(part, scale, out=scratch[: part.size])


def scalar_state(value: float) -> Tensor:
    """A 0-d float32 state value (step counters, ASGD's ``eta``, NAdam's ``mu_product``), as
    PyTorch keeps them with the default dtype float32."""
    return Tensor(value, dtype="float32")


def step_counter() -> Tensor:
    """A new step counter: a 0-d float32 zero, as PyTorch keeps it."""
    return scalar_state(0.0)


def torch_options(
    foreach: bool | None, capturable: bool, differentiable: bool
) -> dict[str, bool | None]:
    """PyTorch's implementation switches, kept in the param groups as PyTorch keeps them.

    ``foreach=True`` picks the update on flat buffers, ``False`` or ``None`` (the default, as
    PyTorch's on the CPU) the per-parameter loop; both give the same bits (see ``uses_flat``).
    ``capturable`` and ``differentiable`` are accepted, and ``step`` then fails as PyTorch's does
    on a CPU-only machine (see ``check_step_options``)."""
    return {"foreach": foreach, "capturable": capturable, "differentiable": differentiable}


def fused_option(
    fused: bool | None, foreach: bool | None, differentiable: bool
) -> dict[str, bool | None]:
    """PyTorch's ``fused`` switch (one kernel for the whole update; here the update on flat
    buffers, as ``foreach``), with PyTorch's errors for the combinations it refuses."""
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    return {"fused": fused}


def uses_flat(group: dict[str, Any]) -> bool:
    """Whether ``group`` steps on flat buffers: with ``foreach=True`` or ``fused=True``, never with
    ``differentiable`` or ``capturable`` (their per-parameter step raises PyTorch's errors). The
    default (both None) is the per-parameter loop, as PyTorch's default on the CPU."""
    if group.get("differentiable") or group.get("capturable"):
        return False
    return bool(group.get("foreach") or group.get("fused"))


def check_step_options(group: dict[str, Any], param: Tensor) -> None:
    """PyTorch's errors at ``step`` for options that need what a CPU-only machine lacks:
    ``capturable`` wants CUDA-graph-capturable devices, ``differentiable`` an update recorded on
    the graph, which is an in-place change of a leaf that requires grad."""
    if group.get("capturable"):
        raise AssertionError(
            "If capturable=True, params and state_steps must be on supported devices: "
            "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']."
        )
    if group.get("differentiable") and param.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


def check_betas(betas: tuple[float, float]) -> None:
    """Raise PyTorch's ``ValueError`` for a beta outside ``[0, 1)``."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def check_nonnegative(**values: float) -> None:
    """Raise PyTorch's ``ValueError`` for a negative hyper-parameter."""
    for name, value in values.items():
        if not value >= 0.0:
            raise ValueError(f"Invalid {_LABELS.get(name, name)}: {value}")


_LABELS = {
    "lr": "learning rate",
    "eps": "epsilon value",
    "weight_decay": "weight_decay value",
    "momentum": "momentum value",
    "alpha": "alpha value",
    "lr_decay": "lr_decay value",
    "initial_accumulator_value": "initial_accumulator_value value",
    "momentum_decay": "momentum_decay value",
}
