"""``ember.onnx.export``: trace the model, map every op to ONNX nodes, write the file."""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import numpy as np

from .. import nn
from ..io import atomic_write
from ..tensor import Tensor
from . import modules, ops, trace
from .errors import OnnxExporterError, UnsupportedOperatorError
from .graph import Graph

DEFAULT_OPSET = 17
MIN_OPSET = 14  # Trilu, Reshape with allowzero, LayerNormalization from 17


def export(
    model: nn.Module,
    args: Any = (),
    f: str | os.PathLike | io.IOBase | None = None,
    *,
    kwargs: dict[str, Any] | None = None,
    export_params: bool = True,
    verbose: bool | None = None,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    opset_version: int | None = None,
    dynamic_axes: dict[str, Any] | None = None,
    keep_initializers_as_inputs: bool = False,
    dynamo: bool = False,
) -> Any:
    """Write ``model`` as an ONNX model to ``f`` (a path or a binary file; returns the
    ``ModelProto`` too), tracing one call ``model(*args)`` in eval mode.

    ``input_names``/``output_names`` name the graph's inputs and outputs (default ``input_0``,
    ``output_0``, ...); ``dynamic_axes`` maps those names to the axes whose size may vary
    (``{"input": {0: "batch"}}`` or ``{"input": [0]}``), found by tracing a second time with
    those axes one larger. An op without ONNX mapping raises ``UnsupportedOperatorError``
    naming it. Opset 17 by default (14 at least).
    """
    try:
        import onnx
    except ImportError:
        raise OnnxExporterError(
            "ember.onnx.export needs the onnx package: pip install 'ember[onnx]'"
        ) from None
    if kwargs:
        raise OnnxExporterError("ember.onnx.export: keyword inputs (kwargs=) are not supported")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset < MIN_OPSET:
        raise OnnxExporterError(f"ember.onnx.export: opset_version {opset} < {MIN_OPSET}")
    inputs = args if isinstance(args, tuple) else (args,)
    if not all(isinstance(a, Tensor) for a in inputs):
        raise OnnxExporterError("ember.onnx.export: args must be tensors (or a tuple of them)")
    was_training = model.training
    model.eval()
    try:
        first = trace.run(model, inputs)
        dynamic = _dynamic(dynamic_axes, input_names, output_names, len(inputs), len(first.outputs))
        second = trace.run(model, _grown(inputs, dynamic[: len(inputs)])) if any(dynamic) else None
    finally:
        model.train(was_training)
    proto = _build(onnx, model, first, second, opset, input_names, output_names, dynamic)
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is not None:
        payload = proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            with atomic_write(f) as tmp, open(tmp, "wb") as fh:
                fh.write(payload)
        else:
            f.write(payload)
    return proto


def _dynamic(
    axes: dict[str, Any] | None, input_names: Any, output_names: Any, n_in: int, n_out: int
) -> list[dict[int, str]]:
    """Per graph input, then output: {axis: symbolic name}."""
    names = _names(input_names, "input", n_in) + _names(output_names, "output", n_out)
    axes = axes or {}
    for key in sorted(set(axes) - set(names)):
        warnings.warn(
            f"Provided key {key} for dynamic axes is not a valid input/output name", stacklevel=3
        )
    result = []
    for name in names:
        spec = axes.get(name, {})
        if not isinstance(spec, dict):
            spec = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(spec)}
        result.append({int(a): str(label) for a, label in spec.items()})
    return result


def _names(given: Any, stem: str, n: int) -> list[str]:
    names = list(given or [])[:n]
    return names + [f"{stem}_{i}" for i in range(len(names), n)]


def _grown(inputs: tuple, dynamic: list[dict[int, str]]) -> tuple:
    """Copies of the inputs with every dynamic axis one larger (values repeated)."""
    grown = []
    for t, axes in zip(inputs, dynamic):
        data = t._data
        for axis in axes:
            data = np.concatenate([data, data.take([-1], axis=axis)], axis=axis)
        grown.append(Tensor._make(data, None, False))
    return tuple(grown)


def _build(
    onnx: Any,
    model: nn.Module,
    first: trace.Trace,
    second: trace.Trace | None,
    opset: int,
    input_names: Any,
    output_names: Any,
    dynamic: list[dict[int, str]],
) -> Any:
    helper = onnx.helper
    params = {id(t): n for n, t in model.named_parameters()}
    params.update({id(t): n for n, t in model.named_buffers()})
    g = Graph(helper, params, opset)
    in_names = _names(input_names, "input", len(first.inputs))
    out_names = _names(output_names, "output", len(first.outputs))
    for t, name in zip(first.inputs, in_names):
        g.bind(t, name)
    if second is not None and [c.name for c in first.calls] != [c.name for c in second.calls]:
        raise OnnxExporterError("the model runs other ops when a dynamic axis changes size")
    for k, call in enumerate(first.calls):
        other = second.calls[k] if second is not None else None
        if isinstance(call.fn, type):
            emit = ops.EMITTERS.get(call.name)
            if emit is None:
                raise UnsupportedOperatorError(
                    f"ember.onnx.export: the op {call.name} has no ONNX mapping"
                )
            produced = emit(g, call, other)
        else:
            produced = modules.emit_module(g, call)
        for tensor, name in zip(call.outputs, produced):
            g.bind(tensor, name)
    for t, name in zip(first.outputs, out_names):
        g.nodes.append(helper.make_node("Identity", [g.name(t)], [name]))
    used = {name for node in g.nodes for name in node.input}
    initializers = {name: a for name, a in g.initializers.items() if name in used}
    graph = helper.make_graph(
        g.nodes,
        "ember",
        [_value(helper, n, t, d) for n, t, d in zip(in_names, first.inputs, dynamic)],
        [
            _value(helper, n, t, d)
            for n, t, d in zip(out_names, first.outputs, dynamic[len(in_names) :])
        ],
        [onnx.numpy_helper.from_array(a, name) for name, a in initializers.items()],
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="ember"
    )
    proto.ir_version = min(proto.ir_version, 9)
    return proto


def _value(helper: Any, name: str, t: Tensor, axes: dict[int, str]) -> Any:
    dims = [axes.get(i, size) for i, size in enumerate(t.shape)]
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(t._data.dtype), dims)
