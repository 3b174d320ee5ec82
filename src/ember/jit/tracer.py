"""Recording one eager call: every op, in-place write and tensor it touches, in order.

While a thread records, ``state.tracer`` is set and every ``Function.apply`` comes here; the op
runs exactly as in eager mode (the call's results are eager results with their graph), and the
tracer notes what it needs to replay the op on arrays: the forward, its arguments as slots, and,
for recorded nodes, where each gradient goes. Library code tells the tracer of what it cannot
replay (``escape``): then the rest of the call runs eagerly and the function falls back.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Node, _apply_recorded
from ..autograd.grad_mode import state
from ..tensor import Tensor
from .signature import UnkeyableError, flatten

INPUT, CAPTURED, CONST, OP = "input", "captured", "const", "op"
NODE, EXT = "node", "ext"

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class Unsupported(RuntimeError):  # noqa: N818 - PyTorch's name
    """What ``ember.compile(..., fullgraph=True)`` raises for code it cannot record (PyTorch
    raises ``torch._dynamo.exc.Unsupported``)."""


class Const:
    """A non-tensor argument of an op, replayed as is."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass(eq=False)
class OpStep:
    """One op: ``out = cls.forward(ctx, *args)``; ``node`` is its index among the recorded nodes
    (None when it records no gradient), ``edges`` where each input's gradient goes and
    ``out_shape``/``out_dtype`` what the output was when recorded."""

    cls: type
    args: list
    out: int
    fresh_ctx: bool
    needs: tuple
    shapes: tuple
    dtypes: tuple
    wrap: tuple
    node: int | None = None
    edges: list = field(default_factory=list)
    forward: Any = None  # cls.forward, or what rebuilds an argument from arrays (Derived)
    out_shape: tuple = ()
    out_dtype: Any = None


@dataclass(eq=False)
class WriteStep:
    """An in-place write ``target[...] = source`` (cast); ``keep_saved`` names the op whose ctx
    must keep the target's old values (eager copies them), ``bump`` a captured tensor whose
    version counter counts the write."""

    target: int
    source: int
    keep_saved: int | None
    bump: int | None


@dataclass(eq=False)
class Recording:
    """Everything a replay needs, with no reference to the eager call's tensors or graph."""

    n_inputs: int
    input_slots: list  # slot of each input tensor (aliases share one)
    slots: list  # per slot: (kind, index)
    captured: list  # tensors read at replay (parameters, buffers, tensors from outside)
    constants: list  # arrays of tensors made inside the call
    written_constants: set
    steps: list
    ext_source: list  # per external edge: (INPUT, i) or (CAPTURED, j)
    spec: Any  # the output structure
    outputs: list  # per output tensor: (INPUT, i) / (CAPTURED, j) / (OP, slot, node or None)


class Derived:
    """The "op" of a slot rebuilt from arrays of other slots (see ``Tracer._derived``)."""


def _rebuild(kind: type | None, parts: list, ctx: Any, *roots: Any) -> Any:
    values = []
    for part in parts:
        if part[0] == "const":
            values.append(part[1])
        elif part[0] == "slot":
            values.append(roots[part[1]])
        elif part[0] == "reshape":
            values.append(roots[part[1]].reshape(part[2]))
        else:
            _, k, shape, dtype, strides, offset = part
            values.append(np.ndarray(shape, dtype, buffer=roots[k], offset=offset, strides=strides))
    return values[0] if kind is None else kind(values)


def user_frame() -> tuple[str, int]:
    """File and line of the innermost frame outside ember."""
    f: Any = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f = f.f_back
    return (f.f_code.co_filename, f.f_lineno) if f is not None else ("<unknown>", 0)


class Tracer:
    """The recorder of one call on one thread (see the module docstring)."""

    def __init__(self, inputs: list, fullgraph: bool) -> None:
        self.fullgraph = fullgraph
        self.failure: tuple[str, str, int] | None = None
        self.inputs = inputs
        self.slot_of: dict[int, int] = {}  # id(array) -> slot
        self.slots: list = []
        self.keep: list = []  # everything whose id is a key, so ids stay unique
        self.captured: list = []
        self.captured_vc: list = []  # (array, version) of each captured tensor when first seen
        self.writes_into: dict[int, int] = {}  # captured index -> recorded writes
        self.constants: list = []
        self.written_constants: set = set()
        self.ext: dict[int, int] = {}  # id(edge) -> external edge
        self.ext_source: list = []
        self.nodes: dict[int, int] = {}  # id(eager node) -> node index
        self.steps: list = []
        self.in_op = False
        self.input_slots = []
        for i, t in enumerate(inputs):
            s = self.slot_of.get(id(t._data))
            self.input_slots.append(self._new_slot(t._data, (INPUT, i)) if s is None else s)
            if t._requires_grad:
                self._edge(t, (INPUT, i))

    # ------------------------------------------------------------------ slots and edges
    def _new_slot(self, array: Any, source: tuple) -> int:
        s = len(self.slots)
        self.slots.append(source)
        self.slot_of[id(array)] = s
        self.keep.append(array)
        return s

    def _edge(self, t: Tensor, source: tuple) -> None:
        edge = t.grad_fn or t
        if id(edge) not in self.ext:
            self.ext[id(edge)] = len(self.ext_source)
            self.ext_source.append(source)
            self.keep.append(edge)

    def _slot(self, t: Tensor) -> int:
        s = self.slot_of.get(id(t._data))
        if s is None:  # a tensor from outside the call: read at replay
            j = len(self.captured)
            self.captured.append(t)
            self.captured_vc.append((t._data, t._vc[0]))
            s = self._new_slot(t._data, (CAPTURED, j))
            if t._requires_grad:
                self._edge(t, (CAPTURED, j))
        return s

    def _edge_ref(self, edge: Any) -> tuple | None:
        if edge is None:
            return None
        n = self.nodes.get(id(edge))
        if n is not None:
            return (NODE, n)
        x = self.ext.get(id(edge))
        if x is None:
            self.escape("a tensor that requires grad made inside the function outside its ops")
            return None
        return (EXT, x)

    # ------------------------------------------------------------------ hooks
    def apply(self, cls: type, args: tuple, fwd_args: list, wants_grad: bool) -> Any:
        """``cls.apply(*args)`` run eagerly and recorded (from ``Function.apply``)."""
        record = wants_grad and state.grad_enabled and not state.inference
        if not cls._raw:
            self.escape(f"the custom autograd.Function {cls.__name__}")
            return _apply_recorded(cls, args, fwd_args, record)
        slots: list = []
        for a in args:
            if isinstance(a, Tensor):
                slots.append(self._slot(a))
            else:
                if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
                    self.escape(f"{cls.__name__} given tensors inside a {type(a).__name__}")
                    return _apply_recorded(cls, args, fwd_args, record)
                derived = self._derived(a, cls)
                if state.tracer is not self:
                    return _apply_recorded(cls, args, fwd_args, record)
                slots.append(Const(a) if derived is None else derived)
        ctx = Node(cls)
        self.in_op = True
        result = _apply_recorded(cls, args, fwd_args, record, ctx)
        self.in_op = False
        if state.tracer is not self:  # escaped inside the op
            return result
        out = result._data
        saved = ctx._saved
        step = OpStep(
            cls,
            slots,
            -1,
            bool(saved) or bool(ctx.__dict__),
            tuple(ctx.needs_input_grad),
            tuple(ctx.shapes),
            tuple(ctx.dtypes),
            tuple(v is not None for v in ctx._versions) if saved else (),
            forward=cls.forward,
            out_shape=out.shape,
            out_dtype=out.dtype,
        )
        if result.grad_fn is ctx:
            step.node = len(self.nodes)
            step.edges = [self._edge_ref(e) for e in ctx.next]
            self.nodes[id(ctx)] = step.node
            self.keep.append(ctx)
        step.out = self._new_slot(out, (OP, len(self.steps)))
        self.steps.append(step)
        return result

    def _derived(self, value: Any, cls: type) -> int | None:
        """A non-tensor argument holding arrays of the call's tensors (index ops pass an index
        tensor's array, or a view of it): a slot that rebuilds it from each replay's arrays.
        None for a true constant."""
        items = value if type(value) in (tuple, list) else (value,)
        parts: list = []
        roots: list = []
        for item in items:
            part = self._array_part(item, roots) if type(item) is np.ndarray else None
            if part is not None and item.dtype == np.bool_ and getattr(cls, "shape_from_masks", 0):
                self.escape(f"{cls.__name__} with a boolean mask (an output shape set by data)")
                return None
            parts.append(("const", item) if part is None else part)
        if not roots:
            return None
        kind = type(value) if type(value) in (tuple, list) else None
        rebuild = functools.partial(_rebuild, kind, parts)
        step = OpStep(Derived, roots, -1, False, (), (), (), (), forward=rebuild)
        step.out = self._new_slot(value, (OP, len(self.steps)))
        self.steps.append(step)
        return step.out

    def _array_part(self, a: np.ndarray, roots: list) -> tuple | None:
        s = self.slot_of.get(id(a))
        if s is not None:
            roots.append(s)
            return ("slot", len(roots) - 1)
        root = a
        while root.base is not None:
            root = root.base
        s = self.slot_of.get(id(root))
        if s is None or not isinstance(root, np.ndarray) or not root.flags.c_contiguous:
            return None
        roots.append(s)
        offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        if not offset and a.dtype == root.dtype and a.size == root.size and a.flags.c_contiguous:
            return ("reshape", len(roots) - 1, a.shape)  # all of it: cheaper than a new view
        return ("view", len(roots) - 1, a.shape, a.dtype, a.strides, offset)

    def wrote(self, target: Tensor, source: Tensor, result: Tensor) -> None:
        """``target`` was overwritten with ``result`` by an in-place op (``Tensor._inplace``)."""
        t = self.slot_of.get(id(target._data))
        r = self.slot_of.get(id(result._data))
        if t is None or r is None:
            return self.escape("an in-place write the recorder did not see the inputs of")
        kind, index = self.slots[t]
        bump = None
        if kind == INPUT:
            return self.escape("an in-place write into an argument of the function")
        if kind == CAPTURED:
            if target._requires_grad:
                return self.escape("an in-place write into a tensor that requires grad")
            if self.captured[index] is source:  # first seen through the in-place op's alias
                self.captured[index] = target
                self.captured_vc[index] = (target._data, target._vc[0] - 1)
            bump = index
            self.writes_into[index] = self.writes_into.get(index, 0) + 1
        root = target._data
        while root.base is not None:
            root = root.base
        r_slot = self.slot_of.get(id(root))
        if r_slot is not None and self.slots[r_slot][0] == CONST:
            self.written_constants.add(self.slots[r_slot][1])
        keep = None
        if source._data is not target._data:  # eager kept the old values for the op's rule
            keep = self.slots[r][1]
        self.steps.append(WriteStep(t, r, keep, bump))

    def created(self, t: Tensor) -> None:
        """``t`` was made inside the call by a factory or the constructor: a constant."""
        d = t._data
        if id(d) in self.slot_of:
            return
        root = d
        while root.base is not None:
            root = root.base
        if id(root) in self.slot_of:
            self.escape("a tensor made from another tensor's memory outside ember's ops")
            return
        self.constants.append(d.copy())
        self._new_slot(d, (CONST, len(self.constants) - 1))

    def drew(self) -> None:
        """A random draw (``backend.rng``): only ops' forwards may draw, so replays draw too."""
        if not self.in_op:
            self.escape("random numbers drawn outside ember's ops (a random factory)")

    def escape(self, what: str) -> None:
        """Something the recorder cannot replay: the rest of the call runs eagerly (or, with
        ``fullgraph=True``, this raises)."""
        filename, lineno = user_frame()
        state.tracer = None
        if self.fullgraph:
            raise Unsupported(
                f"ember.compile(fullgraph=True): cannot record {what} (at {filename}:{lineno})"
            )
        if self.failure is None:
            self.failure = (what, filename, lineno)

    # ------------------------------------------------------------------ the result
    def finish(self, output: Any) -> Recording | None:
        """The recording of the call that returned ``output`` (None after an escape)."""
        leaves: list = []
        try:
            spec = flatten(output, leaves, outputs=True)
        except UnkeyableError as e:
            self.escape(str(e))
            return None
        outputs = []
        for t in leaves:
            outputs.append(self._output(t))
        for j, (array, vc) in enumerate(self.captured_vc):
            t = self.captured[j]
            if t._data is not array or t._vc[0] != vc + self.writes_into.get(j, 0):
                self.escape("a change to a tensor's data the recorder did not see")
        if self.failure is not None:
            return None
        return Recording(
            len(self.inputs),
            self.input_slots,
            self.slots,
            self.captured,
            self.constants,
            self.written_constants,
            self.steps,
            self.ext_source,
            spec,
            outputs,
        )

    def _output(self, t: Tensor) -> tuple:
        for i, x in enumerate(self.inputs):
            if x is t:
                return (INPUT, i)
        for j, x in enumerate(self.captured):
            if x is t:
                return (CAPTURED, j)
        s = self.slot_of.get(id(t._data))
        if s is None:
            self._slot(t)
            return (CAPTURED, len(self.captured) - 1)
        node = None
        if t._requires_grad:
            node = self.nodes.get(id(t.grad_fn))
            if node is None:
                self.escape("an output that requires grad and was not computed by the function")
        return (OP, s, node)


def _on_draw() -> None:
    tracer = state.tracer
    if tracer is not None:
        tracer.drew()


backend.draw_observers.append(_on_draw)
