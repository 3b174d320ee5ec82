"""A recording as a plan the replay walks on arrays, with no Tensor or graph node per op.

The forward is a list of steps over a flat list of registers (non-tensor arguments sit in
registers of their own): each op's ``forward`` on a fresh ctx, or its kernel (kernels.py: the
op's NumPy calls alone), in the recorded order. A register is reused once its array is dead, so
every array is dropped after its last use. The backward calls the recorded nodes' rules
(``backward_arrays``, or the kernel's) in the eager engine's order (reverse creation order) and
does what the engine does with each gradient: reduce it to the input's shape, cast it to the
input's dtype, and accumulate with ``old + g`` in the same order; the checks are skipped where
the plan knows the gradient's shape and dtype. Gradients for tensors from outside the call are
handed back one per contribution, in that order, so that the engine accumulates them exactly as
it would eagerly.

Everything per op is decided when the plan is made (which registers, which ctx type or kernel,
where each gradient goes); generating Python source instead would replay a little faster, but
compiling it costs several times the eager call that recorded it."""

from __future__ import annotations

import functools
import itertools
import operator
import threading
from collections.abc import Callable
from operator import itemgetter
from typing import Any

import numpy as np

from ..autograd.function import Node
from ..autograd.grad_mode import state
from ..backend import sum_to_shape
from ..ops.shape import Reshape
from ..tensor import Tensor
from .kernels import INPUTS, NOTHING, OUTPUT, WITH_OUTPUT, Kernel
from .kernels import make as kernel_of
from .pool import LARGE, buffer, large, use
from .tracer import CAPTURED, CONST, INPUT, NODE, OP, Const, OpStep, Recording, WriteStep

_ndarray = np.ndarray
_add = operator.add


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


def conform(g: Any, shape: tuple, dtype: Any, cls: type, i: int) -> np.ndarray:
    """The engine's ``_conform`` on the array path: an array of the input's shape and dtype
    (``cls`` is the node's op, for the error)."""
    if isinstance(g, Tensor):
        g = g._data
    g = np.asarray(g)
    if g.shape != shape:
        try:
            g = sum_to_shape(g, shape)
        except ValueError:
            raise RuntimeError(
                f"{cls.__name__}Backward0 returned a gradient of shape {tuple(g.shape)} for "
                f"input {i}, which cannot be reduced to the input's shape {tuple(shape)}"
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
        kept = {s.keep_saved for s in steps if isinstance(s, WriteStep)}  # their ctx is written
        kernels = {
            i: k
            for i, step in enumerate(steps)
            if isinstance(step, OpStep) and i not in kept and (k := kernel_of(step)) is not None
        }
        regs = _Registers(rec, steps)
        self.loads = regs.loads
        self.captured_loads = regs.captured_loads
        self.copies = regs.copies
        template = regs.template
        captured = rec.captured
        self.program: list = []
        for i, step in enumerate(steps):
            if isinstance(step, WriteStep):
                keep = steps[step.keep_saved].node if step.keep_saved is not None else None
                target, source = regs.of[step.target], regs.of[step.source]
                self.program.append(
                    functools.partial(_write, captured, keep, target, source, step.bump)
                )
            elif i in regs.unread and step.cls is Reshape:
                pass  # a view nothing reads (a derived index reads the array it views)
            else:
                kernel = kernels.get(i)
                args = step.args if kernel is None else kernel.args
                inputs = []
                for a in args:
                    if isinstance(a, Const):
                        inputs.append(len(template))
                        template.append(a.value)
                    else:
                        inputs.append(regs.of[a])
                out = regs.of[step.out]
                node = -1 if step.node is None else step.node
                if kernel is None:
                    self.program.append(_op_step(step, tuple(inputs), out, node))
                else:
                    self.program.append(_kernel_step(kernel, tuple(inputs), out, node, step))
            if regs.dead[i]:
                self.program.append(functools.partial(_free, regs.dead[i]))
        self.template = template
        self.outputs = tuple(regs.of[o[1]] for o in rec.outputs if o[0] == OP)
        self._plan_backward({steps[i].node: k for i, k in kernels.items()})
        ops = [s for s in steps if isinstance(s, OpStep)]
        self._pooled = any(  # large arrays: each thread's pool of buffers for them
            large(shape, dtype)
            for s in ops
            for shape, dtype in zip((s.out_shape, *s.shapes), (s.out_dtype, *s.dtypes))
        )
        self._pools = threading.local()

    # ------------------------------------------------------------------ forward
    def forward(self, arrays: list, captured: list) -> tuple[tuple, list]:
        """The outputs' arrays and what the backward of each recorded node reads (its ctx, or
        what its kernel keeps)."""
        if self._pooled:
            use(self._pools).start()
        R = self.template.copy()
        for r, i in self.loads:
            R[r] = arrays[i]
        for r, j in self.captured_loads:
            R[r] = captured[j]._data
        for r, k in self.copies:
            R[r] = k.copy()
        C: list = [None] * len(self.nodes)
        for run in self.program:
            run(R, C)
        return tuple([R[r] for r in self.outputs]), C

    # ------------------------------------------------------------------ backward
    def _plan_backward(self, kernels: dict) -> None:
        seeds: dict[int, int] = {}
        for o in self.rec.outputs:
            if o[0] == OP and o[2] is not None and o[2] not in seeds:
                seeds[o[2]] = len(seeds)
        self.seeds = seeds
        # A kernel's gradients have its input's shape and dtype when its own gradient has its
        # output's; so has every gradient the plan passes on, once the seeds into kernels have.
        self.seed_checks = [
            (k, self.nodes[n].out_shape, self.nodes[n].out_dtype)
            for n, k in seeds.items()
            if n in kernels
        ]
        self.contributions: list = []
        program = []
        for step in reversed(self.nodes):
            kernel = kernels.get(step.node)
            edges = []
            for k, e in enumerate(step.edges):
                if e is None:
                    continue
                shape, dtype = step.shapes[k], step.dtypes[k]
                check = kernel is None or shape != step.out_shape
                if e[0] == NODE:
                    edges.append((k, True, e[1], shape, dtype, check))
                else:
                    edges.append((k, False, len(self.contributions), shape, dtype, check))
                    self.contributions.append((e[1], shape, dtype))
            rule = step.cls.backward_arrays if kernel is None else kernel.backward
            one = None  # the common case: one gradient, passed on to a node as it is
            if len(edges) == 1 and edges[0][1] and not edges[0][5]:
                one = edges[0][0], edges[0][2]
            program.append((step.node, rule, tuple(edges), step.cls, one))
        self.backward_program = program
        self._checked: list | None = None

    def _checked_program(self) -> list:
        """The backward with every check, for seeds of other shapes or dtypes than the outputs'."""
        if self._checked is None:
            self._checked = [
                (n, rule, tuple((*e[:5], True) for e in edges), cls, None)
                for n, rule, edges, cls, _ in self.backward_program
            ]
        return self._checked

    def backward(self, C: list, seeds: list) -> tuple:
        """The gradients for the external edges, one per contribution (None where none).
        ``seeds`` is emptied: each seed is dropped once its node has used it."""
        G: list = [None] * len(C)
        for n, k in self.seeds.items():
            G[n] = seeds[k]
        program = self.backward_program
        for k, shape, dtype in self.seed_checks:
            g = seeds[k]
            if type(g) is not _ndarray or g.shape != shape or g.dtype is not dtype:
                program = self._checked_program()
        seeds.clear()
        add = _add
        if self._pooled:
            use(self._pools)
            add = _sum
        g = None
        X: list = [None] * len(self.contributions)
        free = not state.retain_graph  # as the engine frees each node's saved values
        for n, rule, edges, cls, one in program:
            g = G[n]
            if g is None:
                continue
            G[n] = None
            r = rule(C[n], g)
            if free:
                C[n] = None
            if one is not None:
                k, target = one
                a = r[k]
                old = G[target]
                G[target] = a if old is None else add(old, a)
                continue
            if type(r) is not tuple:
                r = (r,)
            for k, internal, target, shape, dtype, check in edges:
                a = r[k]
                if a is None:
                    continue
                if check and (type(a) is not _ndarray or a.shape != shape or a.dtype is not dtype):
                    a = conform(a, shape, dtype, cls, k)
                if internal:
                    old = G[target]
                    G[target] = a if old is None else add(old, a)
                else:
                    X[target] = a
        return tuple(X)


class _Registers:
    """Registers for a recording's slots: a value's register is reused once the value is dead
    (an op's output takes the register of an input read for the last time), so that a replay
    drops each array after its last use with no step of its own for most ops.

    ``of`` maps a slot to its register, ``dead[i]`` the registers to clear after step ``i``
    (dead values no output took), ``unread`` the steps whose output nothing reads, ``template``
    the registers a replay starts from (constants; more are appended for the steps' constant
    arguments)."""

    def __init__(self, rec: Recording, steps: list) -> None:
        returned = {o[1] for o in rec.outputs if o[0] == OP}
        reads = [_reads(step) for step in steps]
        last: dict[int, int] = {}
        for i, slots in enumerate(reads):
            for s in slots:
                last[s] = i
        self.of: dict[int, int] = {}
        self._free: list[int] = []
        self.template: list = []
        self.loads: list = []  # (register, input index)
        self.captured_loads: list = []  # (register, captured index)
        self.copies: list = []  # (register, constant written in place: a fresh copy per call)
        self.dead: list[tuple] = []
        self.unread: set[int] = set()  # steps whose output nothing reads
        for s, (kind, index) in enumerate(rec.slots):
            if s not in last and s not in returned:
                continue
            r = self._new(s)
            if kind == INPUT:
                self.loads.append((r, index))
            elif kind == CAPTURED:
                self.captured_loads.append((r, index))
            elif kind == CONST:
                if index in rec.written_constants:
                    self.copies.append((r, rec.constants[index]))
                else:
                    self.template[r] = rec.constants[index]
        for i, step in enumerate(steps):
            slots = dict.fromkeys(reads[i])
            dying = [self.of[s] for s in slots if last[s] == i and s not in returned]
            if isinstance(step, OpStep):
                if dying:  # the output takes the register of a dead input
                    self.of[step.out] = dying.pop(0)
                else:
                    self._new(step.out)
                if step.out not in last and step.out not in returned:
                    dying.append(self.of[step.out])
                    self.unread.add(i)
            self._free.extend(dying)
            self.dead.append(tuple(dying))

    def _new(self, slot: int) -> int:
        if self._free:
            r = self._free.pop()
        else:
            r = len(self.template)
            self.template.append(None)
        self.of[slot] = r
        return r


def _op_step(step: OpStep, inputs: tuple, out: int, node: int) -> Callable:
    """The replay of an op through its own forward on a fresh ctx."""
    fn = step.forward
    cls = ctx_class(step.cls, step.needs, step.shapes, step.dtypes, step.wrap)
    make = cls if step.fresh_ctx else itertools.repeat(cls()).__next__
    arity = len(inputs)
    get = itemgetter(*inputs) if arity else None

    def run(R: list, C: list) -> None:
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

    return run


def _kernel_step(kernel: Kernel, inputs: tuple, out: int, node: int, step: OpStep) -> Callable:
    """The replay of an op by its kernel; a recorded node keeps what the kernel's rule reads.
    A large output is written into a buffer of the replay's pool where the kernel can."""
    f = kernel.forward
    shape, dtype = step.out_shape, step.out_dtype
    if kernel.into and large(shape, dtype):
        f = functools.partial(_into, f, shape, dtype)
    saves = kernel.saves if node >= 0 or kernel.saves is WITH_OUTPUT else NOTHING
    if saves is WITH_OUTPUT:

        def run(R: list, C: list) -> None:
            R[out], kept = f(*[R[r] for r in inputs])
            if node >= 0:
                C[node] = kept

    elif saves is NOTHING and len(inputs) == 1:
        (a,) = inputs

        def run(R: list, C: list) -> None:
            R[out] = f(R[a])

    elif saves is NOTHING and len(inputs) == 2:
        a, b = inputs

        def run(R: list, C: list) -> None:
            R[out] = f(R[a], R[b])

    elif saves is OUTPUT and len(inputs) == 1:
        (a,) = inputs

        def run(R: list, C: list) -> None:
            C[node] = R[out] = f(R[a])

    elif saves is NOTHING:

        def run(R: list, C: list) -> None:
            R[out] = f(*[R[r] for r in inputs])

    else:  # it keeps its arguments, or what a function of them gives
        save = _pack if saves is INPUTS else saves

        def run(R: list, C: list) -> None:
            args = [R[r] for r in inputs]
            C[node] = save(*args)
            R[out] = f(*args)

    return run


def _pack(*args: Any) -> tuple:
    return args


def _into(f: Callable, shape: tuple, dtype: np.dtype, *args: Any) -> Any:
    return f(*args, out=buffer(shape, dtype))


def _sum(old: Any, a: Any) -> Any:
    """``old + a`` (gradients of one input), into a pooled buffer where both are large arrays of
    one shape and dtype."""
    if (
        type(old) is _ndarray
        and old.nbytes >= LARGE
        and type(a) is _ndarray
        and a.shape == old.shape
        and a.dtype is old.dtype
    ):
        return np.add(old, a, out=buffer(old.shape, old.dtype))
    return old + a


def _free(regs: tuple, R: list, C: list) -> None:
    for r in regs:
        R[r] = None


def _write(
    captured: list, keep: Any, target: int, source: int, bump: Any, R: list, C: list
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
