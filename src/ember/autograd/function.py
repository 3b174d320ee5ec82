"""``Function``: one differentiable operation, its forward beside its derivative rules.

``Function.apply`` runs ``forward`` and, when a gradient or a tangent is wanted, records a node.
The node is the ``ctx`` object the rules receive: there is one node per output tensor, and its edges
point at the nodes (or leaf tensors) of the inputs that require grad.

Two flavours share this machinery:

* ``Function`` (PyTorch's shape, for users): ``forward`` takes detached tensors, returns a tensor.
* ``Op`` (ember's built-in ops): ``forward`` receives raw arrays and returns an array, so the hot
  path never builds an intermediate tensor.

Every op has two gradient rules, one per path of the engine:

* ``backward(ctx, grad_out)`` is the differentiable rule, always: ``grad_out`` and
  ``ctx.saved_tensors`` are tensors and the rule is written with ember's tensor operations, so
  that under ``create_graph=True`` the engine records it like any forward (derivatives of any
  order). ``jvp`` (forward mode) is written the same way.
* ``backward_arrays(ctx, grad_out)`` is an optional fast path for a plain backward: ``grad_out``
  and ``ctx.saved_arrays`` are raw arrays and so are the gradients it returns; it is
  once-differentiable by definition. An op without one gets the default, which runs ``backward``
  on a tensor wrapper of ``grad_out``.

Where one function serves both (it uses only what ndarrays and tensors share: arithmetic
operators, ``@``, ``.reshape``, ``.mT``, ``.sum(dim)``), it reads ``ctx.saved_like(grad_out)``
and the op says so in one line: ``backward_arrays = backward``. The engine picks one path for a
whole backward run (arrays unless ``create_graph``); no global switch decides what a rule gets.
"""

from __future__ import annotations

import itertools
import traceback
from typing import Any

import numpy as np

from ..dtypes import is_floating
from .grad_mode import process, state

_Tensor: Any = None  # set by ember.tensor at import (keeps the import direction one-way)

_sequence = itertools.count()  # creation order of nodes: a later node never feeds an earlier one

observers: list = []  # callables told of every recorded op (ember.viz uses this)


_FREED = (
    "Trying to backward through the graph a second time (or to use saved tensors after they were "
    "freed). Saved values are released by .backward() and autograd.grad(); pass retain_graph=True "
    "to the first call if you need to go through the graph again."
)


_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward: a tensor made under ember.inference_mode() "
    "is used in an operation recorded for backward. Use a .clone() of it, or make it under "
    "ember.no_grad() instead."
)


def register_tensor_type(cls: type) -> None:
    global _Tensor
    _Tensor = cls


class _Output:
    """Marker for the node's own output among its saved values."""


_OUTPUT = _Output()
_AN_ARRAY = np.empty(0)  # what saved_arrays passes to saved_like


class Node:
    """A recorded operation (the ``ctx`` of its rules).

    Engine fields: ``fn`` the Function class, ``next`` one edge per argument (the input's node, the
    input tensor itself when it is a leaf, or None), ``shapes``/``dtypes`` of the tensor arguments
    (the engine reduces and casts every gradient to them).
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_out",
        "_out_vc",
        "_recorded",
        "_saved",
        "_versions",
        "dtypes",
        "fn",
        "needs_input_grad",
        "next",
        "seq",
        "shapes",
    )
    # Rarely set: an instance value lands in __dict__, so the common case costs nothing.
    _hooks: list | None = None
    _retained: Any = None
    _trace: Any = None
    _out_tangent: Any = None

    def __init__(self, fn: type) -> None:
        self.fn = fn
        self._saved: Any = ()

    def save_for_backward(self, *values: Any) -> None:
        """Keep inputs, the output or other arrays for backward (released after backward)."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values; inputs and the output come back as tensors connected to the graph
        (for ``backward`` and ``jvp``)."""
        return self.saved_like(None)

    @property
    def saved_arrays(self) -> tuple:
        """The saved values, inputs and the output as their raw arrays (for ``backward_arrays``)."""
        return self.saved_like(_AN_ARRAY)

    def saved_like(self, grad: Any) -> tuple:
        """The saved values as raw arrays when ``grad`` is an array, as tensors otherwise: for one
        rule that serves as both ``backward`` and ``backward_arrays``."""
        saved = self._saved
        if not saved:
            if saved is None:
                raise RuntimeError(_FREED)
            return ()
        arrays = type(grad) is np.ndarray
        out = []
        for value, version in zip(saved, self._versions):
            if version is not None:
                if value is _OUTPUT:
                    if self._out_vc[0]:
                        self._raise_modified("its output", self._out_vc[0], 0)
                    value = self._out if arrays else self._output_tensor()
                elif value._vc[0] != version:
                    self._raise_modified("an input", value._vc[0], version)
                elif arrays:
                    value = value._data
            out.append(value)
        return tuple(out)

    def _output_tensor(self) -> Any:
        t = _Tensor._make(self._out, self if self._recorded else None, self._recorded)
        t._tangent = self._out_tangent
        return t

    def _raise_modified(self, what: str, now: int, then: int) -> None:
        raise RuntimeError(
            f"{self.name()}: {what} was saved for backward and then modified by an in-place "
            f"operation (version {then} when saved, {now} now). Use the out-of-place form of the "
            "in-place op, or .clone() the tensor before modifying it."
        )

    def name(self) -> str:
        """PyTorch's name for the node: ``MulBackward0`` for a built-in op, ``MyFnBackward`` for a
        user Function ``MyFn``."""
        return self.fn.__name__ + ("Backward0" if self.fn._raw else "Backward")

    @property
    def next_functions(self) -> tuple:
        """One ``(node, 0)`` per tensor input, as in PyTorch: the input's node, an
        ``AccumulateGrad`` for a leaf that requires grad, or None."""
        edges = zip(self.next, self.shapes)
        return tuple((_edge_node(edge), 0) for edge, shape in edges if shape is not None)

    def register_hook(self, hook: Any) -> None:
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)

    def release(self) -> None:
        """Free the saved values and the rule's attributes (after a backward without
        ``retain_graph``); ``saved_tensors`` raises from then on."""
        if self._saved:
            self._saved = None
            self._out = None
            attrs = self.__dict__
            if attrs:
                hooks, retained = self._hooks, self._retained
                attrs.clear()
                if hooks is not None:
                    self._hooks = hooks
                if retained is not None:
                    self._retained = retained

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad:
    """The graph node of a leaf tensor (``.variable``): where its gradient is accumulated."""

    __slots__ = ("__weakref__", "variable")
    next_functions: tuple = ()

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


def _edge_node(edge: Any) -> Any:
    """The node an edge of ``Node.next`` leads to; a leaf keeps one AccumulateGrad for its life."""
    if edge is None or isinstance(edge, Node):
        return edge
    node = edge.__dict__.get("_accumulate_grad")
    if node is None:
        node = edge.__dict__["_accumulate_grad"] = AccumulateGrad(edge)
    return node


class Function:
    """Base of differentiable operations with PyTorch's custom-Function shape.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)`` (optionally
    ``jvp(ctx, *tangents)``) and call ``YourFunction.apply(*args)``. ``forward`` receives detached
    tensors and runs without recording; ``backward`` returns one gradient per argument (None where
    there is none).
    """

    once_differentiable = False  # if True, create_graph through this op raises
    # If True, a plain backward passes the adjoint in a one-item list that the rule empties, so
    # that the engine holds no reference to it while the rule runs (a compiled replay's node runs
    # a whole backward and can drop the adjoint after its first step).
    hands_over_adjoint = False
    _raw = False  # Op sets this: forward works on raw arrays

    @staticmethod
    def forward(ctx: Node, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward_arrays(ctx: Node, grad_out: np.ndarray) -> Any:
        """The fast path of a plain backward; by default ``backward`` on a tensor wrapper of
        ``grad_out`` (the engine turns the tensors it returns back into arrays)."""
        return ctx.fn.backward(ctx, _Tensor._make(grad_out, None, False))

    @staticmethod
    def jvp(ctx: Node, *tangents: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        T = _Tensor
        fwd_args = []
        record = False
        for a in args:
            if isinstance(a, T):
                fwd_args.append(a._data)
                record = record or a._requires_grad
            else:
                fwd_args.append(a)
        if record and state.record:
            return _apply_recorded(cls, args, fwd_args, True)
        if state.special:  # inference mode, forward AD, or a recording by ember.compile
            if state.tracer is not None:
                return state.tracer.apply(cls, args, fwd_args, record)
            return _apply_recorded(cls, args, fwd_args, False)
        # The hot path (and every tensor rule in a plain backward): nothing beyond forward.
        if cls._raw:
            out = cls.forward(Node(cls), *fwd_args)
        else:
            out = _run_user_forward(cls, Node(cls), args)[1]
        return T._make(out if type(out) is np.ndarray else np.asarray(out), None, False)


class Op(Function):
    """A built-in op: ``forward`` takes and returns raw arrays (non-tensor args pass as is)."""

    _raw = True


def _run_user_forward(cls: type, ctx: Node, args: tuple) -> tuple[tuple, np.ndarray, Any]:
    """Run a user Function's forward on detached tensors without recording."""
    T = _Tensor
    fwd_args = tuple(a.detach() if isinstance(a, T) else a for a in args)
    prev = state.grad_enabled
    state.grad_enabled = False
    try:
        result = cls.forward(ctx, *fwd_args)
    finally:
        state.grad_enabled = prev
    if type(result) is not T:
        raise TypeError(
            f"{cls.__name__}.forward must return one Tensor, got {type(result).__name__}"
        )
    return fwd_args, result._data, result


def _apply_recorded(
    cls: type, args: tuple, fwd_args: list, record: bool, ctx: Node | None = None
) -> Any:
    T = _Tensor
    if ctx is None:
        ctx = Node(cls)
    edges: list = []
    needs: list = []
    shapes: list = []
    dtypes: list = []
    for a in args:
        if isinstance(a, T):
            d = a._data
            shapes.append(d.shape)
            dtypes.append(d.dtype)
            if record and a._requires_grad:
                edges.append(a.grad_fn or a)
                needs.append(True)
                continue
        else:
            shapes.append(None)
            dtypes.append(None)
        edges.append(None)
        needs.append(False)
    ctx.next = edges
    ctx.needs_input_grad = needs
    ctx.shapes = shapes
    ctx.dtypes = dtypes
    if cls._raw:
        out = out_obj = cls.forward(ctx, *fwd_args)
    else:
        fwd_args, out, out_obj = _run_user_forward(cls, ctx, args)  # type: ignore[assignment]
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    recorded = ctx._recorded = record and (out.dtype.kind == "f" or is_floating(out.dtype))
    result = T._make(out, ctx if recorded else None, recorded)
    if ctx._saved:
        _resolve_saved(ctx, args, fwd_args, out_obj, out)
        ctx._out_vc = result._vc
    if record:
        ctx.seq = next(_sequence)
        if process.anomaly:
            ctx._trace = traceback.extract_stack()  # ember's own frames are left out when shown
        for observer in observers:
            observer(cls, args, result)
    if state.special:
        if state.inference:
            result._inference = True
        elif state.forward_ad:
            result._tangent = _forward_tangent(cls, ctx, args) if is_floating(out.dtype) else None
            ctx._out_tangent = result._tangent
    return result


def _resolve_saved(ctx: Node, args: tuple, fwd_args: Any, out_obj: Any, out: np.ndarray) -> None:
    """Map saved forward values back to the tensors they came from, noting their versions (the
    output's is 0: it is new)."""
    values: list = []
    versions: list = []
    for value in ctx._saved:
        version = None
        if value is out_obj:
            value, version = _OUTPUT, 0
            ctx._out = out
        elif type(value) is np.ndarray or isinstance(value, _Tensor):  # a tensor's forward value
            for arg, fwd in zip(args, fwd_args):
                if value is fwd and isinstance(arg, _Tensor):
                    if arg._inference and ctx._recorded:
                        raise RuntimeError(_INFERENCE_SAVED)
                    value, version = arg, arg._vc[0]
                    break
        values.append(value)
        versions.append(version)
    ctx._saved = values
    ctx._versions = versions


def _forward_tangent(cls: type, ctx: Node, args: tuple) -> Any:
    """Push the inputs' tangents through the op's jvp rule (absent tangents count as zero)."""
    T = _Tensor
    tangents = [a._tangent if isinstance(a, T) else None for a in args]
    if all(t is None for t in tangents):
        return None
    tangents = [
        (t if t is not None else T._make(np.zeros_like(a._data), None, False))
        if isinstance(a, T) and is_floating(a._data.dtype)
        else None
        for a, t in zip(args, tangents)
    ]
    state.forward_ad = False
    try:
        tangent = cls.jvp(ctx, *tangents)
    except NotImplementedError:
        raise NotImplementedError(f"{cls.__name__} has no forward-mode (jvp) rule") from None
    finally:
        state.forward_ad = True
    return tangent
