"""Replaying a recording: the forward on arrays, and one graph node for the whole backward.

The outputs that need gradients get a ``CompiledFunctionBackward`` node (PyTorch's name). Its
edges are the external tensors' own edges (``t.grad_fn or t``), one per gradient the recorded
backward hands out, so that the engine accumulates them in eager order and a compiled part inside
an eager model joins its graph. When several outputs carry gradients, each gets a small node that
passes its gradient on to the shared one, which then runs once with all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import function
from ..autograd.function import _FREED, Function, Node
from ..tensor import Tensor
from .plan import Plan
from .signature import unflatten
from .tracer import INPUT, OP, Recording

DOUBLE_BACKWARD = "torch.compile with aot_autograd does not currently support double backward"

_TOKEN = np.zeros(())  # what an output node passes to the shared node (its adjoint is unused)


class CompiledFunction(Function):
    """The node of a replayed call: its backward runs the recorded backward on arrays. It takes
    its adjoint from the engine in a list (``hands_over_adjoint``) and the plan drops it once
    used, as eager execution does after the output's own op."""

    hands_over_adjoint = True

    @staticmethod
    def backward_arrays(ctx: Node, grad_out: list) -> Any:
        saved = ctx._saved
        if saved is None:
            raise RuntimeError(function._FREED)
        plan, ctxs, pending = saved
        if pending is None:
            return plan.backward(ctxs, grad_out)
        seeds = pending[:]
        pending[:] = [None] * len(pending)
        return plan.backward(ctxs, seeds)

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise RuntimeError(DOUBLE_BACKWARD)


class CompiledOutput(Function):
    """One of several outputs of a replayed call: hands its gradient to the shared node."""

    @staticmethod
    def backward_arrays(ctx: Node, grad_out: Any) -> Any:
        shared = ctx.next[0]._saved
        if ctx._saved is None or shared is None:
            raise RuntimeError(_FREED)
        shared[2][ctx._saved[0]] = grad_out
        return _TOKEN

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise RuntimeError(DOUBLE_BACKWARD)


class Program:
    """A recording ready to replay."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.plan = Plan(rec)
        contributions = self.plan.contributions
        self.edge_index = [x for x, _, _ in contributions]
        self.edge_shapes = [shape for _, shape, _ in contributions]
        self.edge_dtypes = [dtype for _, _, dtype in contributions]
        self.n_seeds = len(self.plan.seeds)

    def run(self, inputs: list) -> Any:
        """Replay on ``inputs`` (the call's tensors, matching the recording's signature)."""
        rec = self.rec
        plan = self.plan
        outs, ctxs = plan.forward([t._data for t in inputs], rec.captured)
        nodes: dict = {}
        if self.n_seeds:
            nodes = self._nodes(inputs, ctxs)
        make = Tensor._make
        leaves = []
        k = 0
        for o in rec.outputs:
            kind = o[0]
            if kind == OP:
                node = None if o[2] is None else nodes[o[2]]
                leaves.append(make(outs[k], node, node is not None))
                k += 1
            elif kind == INPUT:
                leaves.append(inputs[o[1]])
            else:
                leaves.append(rec.captured[o[1]])
        return unflatten(rec.spec, leaves)

    def _nodes(self, inputs: list, ctxs: tuple) -> dict:
        """The graph node of each output node index."""
        rec = self.rec
        sources = [inputs[i] if kind == INPUT else rec.captured[i] for kind, i in rec.ext_source]
        edges = [t.grad_fn or t for t in sources]
        node = Node(CompiledFunction)
        node.next = [edges[x] for x in self.edge_index]
        node.shapes = self.edge_shapes
        node.dtypes = self.edge_dtypes
        node.needs_input_grad = [True] * len(node.next)
        node._recorded = True
        node.seq = next(function._sequence)
        seeds = self.plan.seeds
        if len(seeds) == 1:
            node._saved = (self.plan, ctxs, None)
            return {n: node for n in seeds}
        node._saved = (self.plan, ctxs, [None] * len(seeds))
        out = {}
        for n, k in seeds.items():
            o = Node(CompiledOutput)
            o.next = [node]
            o.shapes = [()]
            o.dtypes = [_TOKEN.dtype]
            o.needs_input_grad = [True]
            o._recorded = True
            o._saved = (k,)
            o.seq = next(function._sequence)
            out[n] = o
        return out
