"""A recording as a plan the replay walks on arrays, with no Tensor or graph node per op.

The forward calls each op's ``forward`` on the arrays of its slots (a flat list of registers;
non-tensor arguments sit in registers of their own), in the recorded order, and drops every array
after its last use. The backward calls the recorded nodes' ``backward_arrays`` in the eager
engine's order (reverse creation order) and does what the engine does with each gradient:
reduce it to the input's shape, cast it to the input's dtype, and accumulate with ``old + g`` in
the same order. Gradients for tensors from outside the call are handed back one per
contribution, in that order, so that the engine accumulates them exactly as it would eagerly.

Everything per op is decided when the plan is made (which registers, which ctx type, where each
gradient goes); generating Python source instead would replay a little faster, but compiling
it costs several times the eager call that recorded it.
"""

from __future__ import annotations

import functools
import itertools
from operator import itemgetter
from typing import Any

import numpy as np

from ..autograd.function import Node
from ..autograd.grad_mode import state
from ..backend import sum_to_shape
from ..tensor import Tensor
from .tracer import CAPTURED, CONST, INPUT, NODE, OP, Const, OpStep, Recording, WriteStep

_ndarray = np.ndarray


class ReplayCtx(Node):
    """The ``ctx`` of an op in a replay: saved values stay raw arrays; inputs and outputs among
    them come back as tensors for a tensor rule (as eager's ``saved_tensors`` gives them)."""

    __slots__ = ()
    __init__ = object.__init__  # the static fields are class attributes (ctx_class)
    _saved: Any = ()
    _wrap: tuple = ()

    def saved_like(self, grad: Any) -> tuple:
        saved = self._saved
        if type(grad) is np.ndarray or not saved:
            return saved if type(saved) is tuple else tuple(saved)
        make = Tensor._make
        return tuple(make(v, None, False) if w else v for v, w in zip(saved, self._wrap))


@functools.lru_cache(maxsize=4096)
def ctx_class(cls: type, needs: tuple, shapes: tuple, dtypes: tuple, wrap: tuple) -> type:
    """A ctx type whose static fields are class attributes, so that making one costs nothing
    beyond the object."""
    fields = {
        "__slots__": (),
        "fn": cls,
        "needs_input_grad": needs,
        "shapes": shapes,
        "dtypes": dtypes,
        "_wrap": wrap,
    }
    return type(f"{cls.__name__}ReplayCtx", (ReplayCtx,), fields)


def conform(g: Any, shape: tuple, dtype: Any, ctx: Any, i: int) -> np.ndarray:
    """The engine's ``_conform`` on the array path: an array of the input's shape and dtype."""
    if isinstance(g, Tensor):
        g = g._data
    g = np.asarray(g)
    if g.shape != shape:
        try:
            g = sum_to_shape(g, shape)
        except ValueError:
            raise RuntimeError(
                f"{ctx.name()} returned a gradient of shape {tuple(g.shape)} for input {i}, "
                f"which cannot be reduced to the input's shape {tuple(shape)}"
            ) from None
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


class Plan:
    """The forward and backward of one recording, and what the replay node needs: ``seeds``
    (output node -> position among the gradient-carrying outputs) and ``contributions`` (per
    gradient handed out: external edge, shape, dtype)."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        steps = rec.steps
        self.nodes = [s for s in steps if isinstance(s, OpStep) and s.node is not None]
        returned = {o[1] for o in rec.outputs if o[0] == OP}
        self.outputs = tuple(o[1] for o in rec.outputs if o[0] == OP)
        last: dict[int, int] = {}
        for i, step in enumerate(steps):
            for s in _reads(step):
                last[s] = i
        dead_at: dict[int, list] = {}
        for s, i in last.items():
            if s not in returned:
                dead_at.setdefault(i, []).append(s)
        template: list = [None] * len(rec.slots)
        self.loads: list = []  # (register, input index) / (register, captured index)
        self.captured_loads: list = []
        self.copies: list = []  # (register, constant written in place: a fresh copy per call)
        for s, (kind, index) in enumerate(rec.slots):
            if s not in last and s not in returned:
                continue
            if kind == INPUT:
                self.loads.append((s, index))
            elif kind == CAPTURED:
                self.captured_loads.append((s, index))
            elif kind == CONST:
                if index in rec.written_constants:
                    self.copies.append((s, rec.constants[index]))
                else:
                    template[s] = rec.constants[index]
        self.program: list = []
        for i, step in enumerate(steps):
            dead = tuple(dead_at.get(i, ()))
            if isinstance(step, WriteStep):
                keep = steps[step.keep_saved].node if step.keep_saved is not None else None
                self.program.append((None, keep, step.target, step.source, step.bump, dead, ()))
                continue
            regs = []
            for a in step.args:
                if isinstance(a, Const):
                    regs.append(len(template))
                    template.append(a.value)
                else:
                    regs.append(a)
            get = itemgetter(*regs) if len(regs) > 1 else itemgetter(regs[0]) if regs else None
            cls = ctx_class(step.cls, step.needs, step.shapes, step.dtypes, step.wrap)
            make = cls if step.fresh_ctx else itertools.repeat(cls()).__next__
            if step.out not in last and step.out not in returned:
                dead += (step.out,)
            arity = len(regs)
            node = -1 if step.node is None else step.node
            self.program.append((step.forward, make, get, arity, step.out, node, dead))
        self.template = template
        self._plan_backward()

    # ------------------------------------------------------------------ forward
    def forward(self, arrays: list, captured: list) -> tuple[tuple, list]:
        """The outputs' arrays and the ctx of every recorded node."""
        R = self.template.copy()
        for s, i in self.loads:
            R[s] = arrays[i]
        for s, j in self.captured_loads:
            R[s] = captured[j]._data
        for s, k in self.copies:
            R[s] = k.copy()
        C: list = [None] * len(self.nodes)
        for fn, make, get, arity, out, node, dead in self.program:
            if fn is None:  # an in-place write: (None, keep, target, source, bump, dead, ())
                _write(R, C, captured, make, get, arity, out, node)
                continue
            c = make()
            if arity > 1:
                v = fn(c, *get(R))
            elif arity:
                v = fn(c, get(R))
            else:
                v = fn(c)
            if type(v) is not _ndarray:
                v = _as_output(c, v)
            R[out] = v
            if node >= 0:
                C[node] = c
            for k in dead:
                R[k] = None
        return tuple([R[s] for s in self.outputs]), C

    # ------------------------------------------------------------------ backward
    def _plan_backward(self) -> None:
        seeds: dict[int, int] = {}
        for o in self.rec.outputs:
            if o[0] == OP and o[2] is not None and o[2] not in seeds:
                seeds[o[2]] = len(seeds)
        self.seeds = seeds
        self.contributions: list = []
        backward = []
        for step in reversed(self.nodes):
            edges = []
            for k, e in enumerate(step.edges):
                if e is None:
                    continue
                if e[0] == NODE:
                    edges.append((k, True, e[1], step.shapes[k], step.dtypes[k]))
                else:
                    edges.append(
                        (k, False, len(self.contributions), step.shapes[k], step.dtypes[k])
                    )
                    self.contributions.append((e[1], step.shapes[k], step.dtypes[k]))
            backward.append((step.node, step.cls.backward_arrays, tuple(edges)))
        self.backward_program = backward

    def backward(self, C: list, seeds: tuple) -> tuple:
        """The gradients for the external edges, one per contribution (None where none)."""
        G: list = [None] * len(C)
        for n, k in self.seeds.items():
            G[n] = seeds[k]
        X: list = [None] * len(self.contributions)
        free = not state.retain_graph  # as the engine frees each node's saved values
        for n, rule, edges in self.backward_program:
            g = G[n]
            if g is None:
                continue
            G[n] = None
            c = C[n]
            r = rule(c, g)
            if free:
                C[n] = None
            if type(r) is not tuple:
                r = (r,)
            for k, internal, target, shape, dtype in edges:
                a = r[k]
                if a is None:
                    continue
                if type(a) is not _ndarray or a.shape != shape or a.dtype is not dtype:
                    a = conform(a, shape, dtype, c, k)
                if internal:
                    old = G[target]
                    G[target] = a if old is None else old + a
                else:
                    X[target] = a
        return tuple(X)


def _write(
    R: list, C: list, captured: list, keep: Any, target: int, source: int, bump: Any, dead: tuple
) -> None:
    """Replay ``Tensor._inplace``'s write: keep the old values where the op's rule saved them,
    copy with a cast, count the version of a captured tensor."""
    t = R[target]
    if keep is not None:
        c = C[keep]
        c._saved = tuple(t.copy() if v is t else v for v in c._saved)
    np.copyto(t, R[source], casting="unsafe")
    if bump is not None:
        captured[bump]._vc[0] += 1
    for k in dead:
        R[k] = None


def _reads(step: Any) -> list[int]:
    if isinstance(step, OpStep):
        return [a for a in step.args if isinstance(a, int)]
    return [step.target, step.source]


def _as_output(ctx: Any, value: Any) -> np.ndarray:
    """A forward's non-array result as the array eager makes of it, also where it was saved
    (a rebuilt argument stays as it is)."""
    if type(value) in (tuple, list):
        return value
    out = np.asarray(value)
    saved = ctx._saved
    if saved:
        ctx._saved = tuple(out if v is value else v for v in saved)
    return out
