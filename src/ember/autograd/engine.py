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

from ..backend import sum_to_shape
from . import function
from .function import Node
from .grad_mode import process, state


def _needed(roots: Sequence[Any], targets: dict[Any, int]) -> set[Any]:
    """The nodes from which some target can be reached (only those need running)."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Any, bool]] = [(r, False) for r in roots if type(r) is Node]
    while stack:  # iterative post-order: inputs before the nodes that use them
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((e, False) for e in node.next if type(e) is Node and e not in seen)
    needed: set[Any] = set()
    for node in order:
        if any(e is not None and (e in targets or e in needed) for e in node.next):
            needed.add(node)
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

    One path for the whole run: with ``create_graph`` every adjoint is a tensor and each op's
    ``backward`` records a graph; otherwise the adjoints are raw arrays and each op's
    ``backward_arrays`` runs on them (tensors reach the user only in hooks and the results).
    Grad mode is set for this thread only, so other threads go on as they were.
    """
    T = function._Tensor
    if state.tracer is not None:
        state.tracer.escape("backward() inside the function")
    arrays = not create_graph
    root_edges = [r.grad_fn or r for r in roots]
    targets = None if inputs is None else {x.grad_fn or x: i for i, x in enumerate(inputs)}
    captured: list[Any] = [None] * (len(inputs) if inputs is not None else 0)
    needed = None if targets is None else _needed(root_edges, targets)

    pending: dict[Any, Any] = {}  # edge -> adjoint accumulated so far
    heap: list[tuple[int, Node]] = []  # (-creation number, node): latest first
    leaves: list[Any] = []
    for edge, g in zip(root_edges, grads):
        if arrays:
            g = g._data
        if edge in pending:
            pending[edge] = pending[edge] + g
            continue
        pending[edge] = g
        if type(edge) is Node:
            heapq.heappush(heap, (-edge.seq, edge))
        else:
            leaves.append(edge)

    prev, prev_retain = state.grad_enabled, state.retain_graph
    state.grad_enabled = create_graph
    state.retain_graph = retain_graph  # a replayed call frees its saved values as it goes
    # A gradient of the adjoints' type and the input's shape and dtype goes on as it is; under
    # anomaly detection none does (each one is checked for NaN/Inf).
    exact = None if process.anomaly else np.ndarray if arrays else T
    heappush, heappop = heapq.heappush, heapq.heappop
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            while heap:
                node = heappop(heap)[1]
                g = pending.pop(node)
                if node._hooks is not None or node._retained is not None:
                    g = _run_node_hooks(node, g, create_graph)
                if targets is not None:
                    if node in targets:
                        captured[targets[node]] = g
                    if node not in needed:
                        continue
                if arrays and node.fn.hands_over_adjoint:
                    g = [g]
                result = gi = old = None  # the last node's gradients: not held while this runs
                result = node.fn.backward_arrays(node, g) if arrays else _run_tensor_rule(node, g)
                if type(result) is not tuple:
                    result = (result,)
                edges = node.next
                if len(result) != len(edges):
                    raise RuntimeError(
                        f"{node.name()} returned {len(result)} gradients but its op has "
                        f"{len(edges)} inputs"
                    )
                for edge, gi, shape, dtype in zip(edges, result, node.shapes, node.dtypes):
                    if edge is None or gi is None:
                        continue
                    if type(gi) is not exact or gi.shape != shape or gi.dtype is not dtype:
                        gi = _conform(node, edge, gi, shape, dtype, arrays)
                    if needed is not None and edge not in needed and edge not in targets:
                        continue
                    old = pending.get(edge)
                    if old is not None:
                        pending[edge] = old + gi
                    else:
                        pending[edge] = gi
                        if type(edge) is Node:
                            heappush(heap, (-edge.seq, edge))
                        else:
                            leaves.append(edge)
                if not retain_graph:
                    node.release()
        if leaves:
            handed = {id(g._data) for g in grads}
            for leaf in leaves:
                _deliver_to_leaf(leaf, pending.pop(leaf), create_graph, targets, captured, handed)
    finally:
        state.grad_enabled, state.retain_graph = prev, prev_retain

    if inputs is None:
        return None
    for i, (x, g) in enumerate(zip(inputs, captured)):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {i} (shape {tuple(x.shape)}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
    return tuple(g if g is None or type(g) is T else T._make(g, None, False) for g in captured)


def _run_tensor_rule(node: Node, g: Any) -> Any:
    """The differentiable rule (under create_graph)."""
    if node.fn.once_differentiable:
        raise RuntimeError(
            f"{node.name()} is once-differentiable: it cannot be part of a graph recorded with "
            "create_graph=True"
        )
    return node.fn.backward(node, g)


def _as_tensor(g: Any) -> Any:
    T = function._Tensor
    return g if isinstance(g, T) else T._make(np.asarray(g), None, False)


def _as_array(g: Any) -> np.ndarray:
    if type(g) is np.ndarray:
        return g
    return g._data if isinstance(g, function._Tensor) else np.asarray(g)


def _deliver_to_leaf(
    leaf: Any, g: Any, create_graph: bool, targets: dict | None, captured: list, handed: set
) -> None:
    if leaf._hooks:
        g = _as_tensor(g)
        for hook in leaf._hooks:
            replaced = hook(g)
            if replaced is not None:
                g = replaced
    if targets is not None:
        captured[targets[leaf]] = g
        return
    if leaf.grad is None and not create_graph:
        leaf.grad = function._Tensor._make(_owned(_as_array(g), handed), None, False)
    else:
        g = _as_tensor(g)
        if leaf.grad is None:
            leaf.grad = g
        else:
            leaf.grad = leaf.grad + g if create_graph else (leaf.grad + g).detach()
    for hook in leaf._post_accumulate_hooks or ():
        hook(leaf)


def _owned(data: np.ndarray, handed: set) -> np.ndarray:
    """An array that ``.grad`` may own: a copy of a read-only (broadcast) view, of a view of
    another array, or of an array already handed out (to another leaf, or the caller's
    gradient), so that changing one ``.grad`` in place never changes another."""
    if not data.flags.writeable or data.base is not None or id(data) in handed:
        data = data.copy()
    handed.add(id(data))
    return data


def _run_node_hooks(node: Node, g: Any, create_graph: bool) -> Any:
    """Hooks and retained gradients see tensors; the adjoint goes on in the engine's form."""
    t = _as_tensor(g)
    for hook in node._hooks or ():
        replaced = hook(t)
        if replaced is not None:
            t = replaced
    if node._retained is not None:
        tensor = node._retained()
        if tensor is not None:
            tensor.grad = t if create_graph else t.detach()
    return t if create_graph else _as_array(t)


def _conform(node: Node, edge: Any, gi: Any, shape: tuple, dtype: Any, arrays: bool) -> Any:
    """Make the gradient for the input of ``edge`` (of ``shape`` and ``dtype``) an array (a
    tensor under create_graph) of that shape and dtype (reducing a broadcast gradient), and check
    it for NaN/Inf under anomaly detection."""
    try:
        if arrays:
            gi = _as_array(gi)
            if gi.shape != shape:
                gi = sum_to_shape(gi, shape)
            if gi.dtype != dtype:
                gi = gi.astype(dtype)
            data = gi
        else:
            gi = _as_tensor(gi)
            if gi._data.shape != shape:
                gi = gi.sum_to_size(shape)
            if gi._data.dtype != dtype:
                gi = gi.to(dtype)
            data = gi._data
    except ValueError:
        raise RuntimeError(
            f"{node.name()} returned a gradient of shape {tuple(gi.shape)} for input "
            f"{_index(node, edge)}, which cannot be reduced to the input's shape {tuple(shape)}"
        ) from None
    if process.anomaly and not np.all(np.isfinite(data)):
        _raise_anomaly(node, _index(node, edge))
    return gi


def _index(node: Node, edge: Any) -> int:
    """The first input of ``node`` with this edge (an edge that appears twice is one tensor)."""
    return next(k for k, e in enumerate(node.next) if e is edge)


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
