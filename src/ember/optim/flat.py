"""The ``foreach``/``fused`` path: an optimizer's elementwise rule run once on flat buffers.

For one parameter group, the parameters that have a gradient are split into buckets that share a
dtype and the same scalar state (``step`` and the like), of at most ``BUCKET_BYTES`` each. A
bucket keeps one flat array for the parameters, one per elementwise state entry (``exp_avg``,
``momentum_buffer``, ...) and one per scalar entry (a slot per parameter). Every parameter's
``_data`` and every per-parameter state tensor becomes a view into them, so
``optimizer.state[p]`` keeps PyTorch's entries and shapes. A step concatenates the gradients once
and calls the optimizer's ``_update`` on the flat arrays: the rule is elementwise with scalar
hyper-parameters, so the result is bit-identical to the per-parameter loop.

Before each step a plan checks that nothing it relies on has moved: the set of parameters with a
gradient, each parameter's array, each state dict and state tensor. If anything has (``p.data``
replaced, a state dict loaded, a parameter that skipped a step), it is rebuilt from the current
values. Parameters alone in their bucket, or whose state cannot be laid out flat, are stepped one
by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter, eq, is_
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor

if TYPE_CHECKING:
    from .optimizer import Optimizer

_data_of = attrgetter("_data")
_grad_of = attrgetter("grad")
_shape_of = attrgetter("shape")
_ravel = np.ndarray.ravel
# Parameters are laid out together up to this many bytes per flat array. A rule makes several
# passes over about five such arrays; at this size they stay in a core's L2 cache between passes,
# as a per-parameter loop over small tensors does, while the Python cost per parameter is gone.
# A parameter left alone in its bucket (a larger one, or the only one of its dtype and state) is
# stepped on its own array: flat buffers would save nothing there.
BUCKET_BYTES = 1 << 17


def _same(xs: Sequence[Any], ys: Sequence[Any]) -> bool:
    """Whether two sequences hold the same objects in the same order."""
    return len(xs) == len(ys) and all(map(is_, xs, ys))


class Bucket:
    """Parameters of one dtype with the same scalar state, laid out in flat buffers."""

    def __init__(self, params: list[Tensor], states: list[dict[str, Any]], scalars: frozenset):
        self.params = params
        self.states = states
        self.scalars = scalars
        self.shapes = [p._data.shape for p in params]
        self.dtype = params[0]._data.dtype
        self.offsets = np.cumsum([0] + [p._data.size for p in params]).tolist()
        self.flat_param, self.param_views = self._pack([p._data for p in params], False)
        for p, view in zip(params, self.param_views):
            p._data = view
        self.flat_state: dict[str, Tensor] = {}
        self.tensors: dict[str, list[Tensor]] = {}  # per key, each parameter's state tensor
        self.views: dict[str, list[np.ndarray]] = {}
        for key in states[0]:
            tensors = [s[key] for s in states]
            flat, views = self._pack([t._data for t in tensors], key in scalars)
            for t, view in zip(tensors, views):
                t._data = view
            self._keep(key, flat, tensors, views)

    def _pack(self, arrays: list[np.ndarray], scalar: bool) -> tuple[np.ndarray, list]:
        """A new flat array holding ``arrays`` and each one's view into it."""
        if scalar:
            flat = np.stack(arrays)
            return flat, [flat[i : i + 1].reshape(()) for i in range(len(arrays))]
        flat = np.concatenate([a.reshape(-1) for a in arrays])
        spans = zip(self.offsets, self.offsets[1:], self.shapes)
        return flat, [flat[a:b].reshape(shape) for a, b, shape in spans]

    def _keep(self, key: str, flat: np.ndarray, tensors: list[Tensor], views: list) -> None:
        self.flat_state[key] = Tensor._make(flat, None, False)
        self.tensors[key] = tensors
        self.views[key] = views

    def intact(self, state: dict) -> bool:
        """Whether every parameter array and state tensor is still the view laid out here
        (the checks iterate in C: a few microseconds for tens of parameters)."""
        params, states = self.params, self.states
        if not all(map(is_, map(_data_of, params), self.param_views)):
            return False
        if not all(map(is_, map(state.get, params), states)):
            return False
        if not all(map(eq, map(len, states), repeat(len(self.tensors)))):
            return False
        return all(
            all(map(is_, map(dict.get, states, repeat(key)), tensors))
            and all(map(is_, map(_data_of, tensors), self.views[key]))
            for key, tensors in self.tensors.items()
        )

    def step(self, opt: Optimizer, group: dict[str, Any]) -> None:
        """One update of every parameter in the bucket (one by one if a gradient does not match
        its parameter's shape and dtype, so that the per-parameter rule does what it does)."""
        flat = self._gather()
        if flat is None:
            for p in self.params:
                opt._step_one(p, group)
            return
        opt._update(self.flat_param, flat, self.flat_state, group)
        if len(self.flat_state) != len(self.tensors):
            self._adopt_new_state()
        for p in self.params:
            p._vc[0] += 1

    def _gather(self) -> np.ndarray | None:
        """The gradients in one flat array; None when one does not match its parameter's shape
        or dtype."""
        grads = list(map(_data_of, map(_grad_of, self.params)))
        if list(map(_shape_of, grads)) != self.shapes:
            return None
        try:
            return np.concatenate(list(map(_ravel, grads)), dtype=self.dtype, casting="no")
        except TypeError:  # a gradient of another dtype
            return None

    def _adopt_new_state(self) -> None:
        """Give each parameter views of the state entries that the rule has just created."""
        n = len(self.params)
        for key in [k for k in self.flat_state if k not in self.tensors]:
            value = self.flat_state[key]._data
            if key in self.scalars:
                flat = np.repeat(value.reshape(1), n)
                views = [flat[i : i + 1].reshape(()) for i in range(n)]
            else:
                spans = zip(self.offsets, self.offsets[1:], self.shapes)
                flat, views = value, [value[a:b].reshape(shape) for a, b, shape in spans]
            tensors = [Tensor._make(view, None, False) for view in views]
            for s, t in zip(self.states, tensors):
                s[key] = t
            self._keep(key, flat, tensors, views)


class GroupPlan:
    """The buckets of one parameter group for the parameters that have a gradient now, and the
    parameters stepped one by one."""

    def __init__(self, group: dict[str, Any], members: list[Tensor], state: Any, scalars):
        self.group = group
        self.members = members
        self.buckets: list[Bucket] = []
        self.loose: list[Tensor] = []
        if len({id(p) for p in members}) != len(members):
            self.loose = members  # a parameter listed twice is updated twice, one at a time
            return
        runs: list[list[Tensor]] = []
        filling: dict[tuple, tuple[list[Tensor], int]] = {}  # per signature, the open run
        for p in members:
            key = _signature(p, state[p], scalars)
            if key is None:
                self.loose.append(p)
                continue
            run, used = filling.get(key, (None, 0))
            if run is None or used + p._data.nbytes > BUCKET_BYTES:
                run, used = [], 0
                runs.append(run)
            run.append(p)
            filling[key] = (run, used + p._data.nbytes)
        for run in runs:
            if len(run) == 1:  # nothing to save: the parameter keeps its own array
                self.loose.extend(run)
            else:
                self.buckets.append(Bucket(run, [state[p] for p in run], scalars))

    def current(self, group: dict[str, Any], members: list[Tensor], state: Any) -> bool:
        """Whether this plan still describes ``group`` with these parameters and states."""
        return (
            self.group is group
            and _same(members, self.members)
            and all(b.intact(state) for b in self.buckets)
        )


def _signature(p: Tensor, state: dict[str, Any], scalars: frozenset) -> tuple | None:
    """What parameters must share to be updated together: their dtype, the dtypes of their state
    entries and the values of the scalar ones. None when an entry is not a tensor of the
    parameter's shape (or 0-d for a scalar entry)."""
    parts: list[Any] = [p._data.dtype]
    for key, value in sorted(state.items()):
        if not isinstance(value, Tensor):
            return None
        data = value._data
        if key in scalars:
            if data.ndim != 0:
                return None
            parts.append((key, data.dtype, data.item()))
        else:
            if data.shape != p._data.shape:
                return None
            parts.append((key, data.dtype))
    return tuple(parts)


class FlatPlans(dict):
    """The plans of an optimizer by group index. A copy of the optimizer starts without plans:
    copied views would no longer share their copied buffer."""

    def __deepcopy__(self, memo: dict) -> FlatPlans:
        return FlatPlans()

    def step_group(self, opt: Optimizer, index: int, group: dict[str, Any]) -> None:
        """Update the parameters of ``opt.param_groups[index]`` that have a gradient."""
        members = [p for p in group["params"] if p.grad is not None]
        plan = self.get(index)
        if plan is None or not plan.current(group, members, opt.state):
            plan = self[index] = GroupPlan(group, members, opt.state, opt._scalar_state)
        for bucket in plan.buckets:
            bucket.step(opt, group)
        for p in plan.loose:
            opt._step_one(p, group)
