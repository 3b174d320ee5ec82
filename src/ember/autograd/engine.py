"""Reverse-mode differentiation: the lecture's backward pass over the recorded DAG.

Nodes are visited in reverse topological order: every node carries its creation number, and a
node's inputs were always created before it, so taking pending nodes latest-first from a heap
visits each node only after all its consumers have added their share to its adjoint. The walk is
iterative (a chain of any length works) and touches only nodes that lead to tensors requiring grad.

The engine does, once for every op, what no op should repeat: reducing a broadcast gradient to
its input's shape, casting it to the input's dtype, accumulating (``+=``), running hooks, checking
for NaN/Inf under anomaly detection, and freeing saved values.
"""

from __future__ import annotations

import heapq
import os
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import function
from .function import Node
from .grad_mode import state


def _needed(roots: Sequence[Any], targets: dict[int, int]) -> set[int]:
    """Ids of the nodes from which some target can be reached (only those need running)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(r, False) for r in roots if type(r) is Node]
    while stack:  # iterative post-order: inputs before the nodes that use them
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((e, False) for e in node.next if type(e) is Node and id(e) not in seen)
    needed: set[int] = set()
    for node in order:
        if any(e is not None and (id(e) in targets or id(e) in needed) for e in node.next):
            needed.add(id(node))
    return needed


def run_backward(
    roots: Sequence[Any],
    grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None = None,
    allow_unused: bool = False,
) -> tuple | None:
    """Backpropagate ``grads`` from ``roots``.

    Without ``inputs`` the gradients accumulate into the ``.grad`` of the leaves; with ``inputs``
    nothing accumulates and their gradients are returned (``autograd.grad``).
    """
    T = function._Tensor
    edges = [r.grad_fn or r for r in roots]
    targets = None if inputs is None else {id(x.grad_fn or x): i for i, x in enumerate(inputs)}
    captured: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    needed = None if targets is None else _needed(edges, targets)

    pending: dict[int, Any] = {}  # id(edge) -> adjoint accumulated so far
    heap: list[tuple[int, int, Node]] = []  # (-creation number, id, node)
    leaves: dict[int, Any] = {}
    for edge, g in zip(edges, grads):
        key = id(edge)
        if key in pending:
            pending[key] = pending[key] + g
            continue
        pending[key] = g
        if type(edge) is Node:
            heapq.heappush(heap, (-edge.seq, key, edge))
        else:
            leaves[key] = edge

    prev = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        while heap:
            node = heapq.heappop(heap)[2]
            key = id(node)
            g = pending.pop(key)
            if node._hooks or node._retained is not None:
                g = _run_node_hooks(node, g, create_graph)
            if targets is not None:
                if key in targets:
                    captured[targets[key]] = g
                if key not in needed:
                    continue
            if create_graph and node.fn.once_differentiable:
                raise RuntimeError(
                    f"{node.name()} is once-differentiable: it cannot be part of a graph recorded "
                    "with create_graph=True"
                )
            result = node.fn.backward(node, g)
            if type(result) is not tuple:
                result = (result,)
            if len(result) != len(node.next):
                raise RuntimeError(
                    f"{node.name()} returned {len(result)} gradients but its op has "
                    f"{len(node.next)} inputs"
                )
            for i, edge in enumerate(node.next):
                gi = result[i]
                if edge is None or gi is None:
                    continue
                if (
                    type(gi) is not T
                    or gi._data.shape != node.shapes[i]
                    or gi._data.dtype != node.dtypes[i]
                    or state.anomaly
                ):
                    gi = _conform(node, i, gi)
                ekey = id(edge)
                if needed is not None and ekey not in needed and ekey not in targets:
                    continue
                old = pending.get(ekey)
                if old is not None:
                    pending[ekey] = old + gi
                    continue
                pending[ekey] = gi
                if type(edge) is Node:
                    heapq.heappush(heap, (-edge.seq, ekey, edge))
                else:
                    leaves[ekey] = edge
            if not retain_graph:
                node.release()
        for key, leaf in leaves.items():
            _deliver_to_leaf(leaf, pending.pop(key), create_graph, targets, captured, key)
    finally:
        state.grad_enabled = prev

    if inputs is None:
        return None
    for i, (x, g) in enumerate(zip(inputs, captured)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {i} (shape {tuple(x.shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(captured)


def _deliver_to_leaf(
    leaf: Any, g: Any, create_graph: bool, targets: dict | None, captured: list, key: int
) -> None:
    for hook in leaf._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = replaced
    if targets is not None:
        captured[targets[key]] = g
    elif leaf.grad is None:
        leaf.grad = g if create_graph else g.detach()
    else:
        leaf.grad = leaf.grad + g if create_graph else (leaf.grad + g).detach()


def _run_node_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    for hook in node._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = replaced
    if node._retained is not None:
        tensor = node._retained()
        if tensor is not None:
            tensor.grad = g if create_graph else g.detach()
    return g


def _conform(node: Node, i: int, gi: Any) -> Any:
    """Make the gradient for input ``i`` a tensor of that input's shape and dtype (reducing a
    broadcast gradient), and check it for NaN/Inf under anomaly detection."""
    T = function._Tensor
    if not isinstance(gi, T):
        gi = T._make(np.asarray(gi), None, False)
    shape = node.shapes[i]
    if gi._data.shape != shape:
        try:
            gi = gi.sum_to_size(shape)
        except ValueError:
            raise RuntimeError(
                f"{node.name()} returned a gradient of shape {tuple(gi.shape)} for input {i}, "
                f"which cannot be reduced to the input's shape {tuple(shape)}"
            ) from None
    if gi._data.dtype != node.dtypes[i]:
        gi = gi.to(node.dtypes[i])
    if state.anomaly and not np.all(np.isfinite(gi._data)):
        _raise_anomaly(node, i)
    return gi


def _raise_anomaly(node: Node, i: int) -> None:
    frames = [f for f in node._trace or () if not f.filename.startswith(_PACKAGE_DIR)]
    where = "".join(traceback.format_list(frames)) if frames else "(not recorded)\n"
    raise RuntimeError(
        f"Function '{node.name()}' returned nan or inf values in its gradient for input {i}.\n"
        f"The forward op was created at (most recent call last):\n{where}"
    )


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs`` (nothing accumulates into ``.grad``).

    With ``create_graph=True`` the result is itself differentiable (higher-order derivatives).
    """
    T = function._Tensor
    outputs = [outputs] if isinstance(outputs, T) else list(outputs)
    single = isinstance(inputs, T)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, T):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                "autograd.grad: an output does not require grad (was it computed under no_grad, "
                "or from inputs without requires_grad=True?)"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"autograd.grad: grad can be implicitly created only for scalar outputs; "
                    f"pass grad_outputs for the output of shape {tuple(out.shape)}"
                )
            g = T._make(np.ones_like(out._data), None, False)
        grads.append(g)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"autograd.grad: input {i} does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(outputs, grads, retain, create_graph, inputs, allow_unused)
    assert result is not None
    return result
