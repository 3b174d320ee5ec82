"""ONNX nodes for ember's ops: one emitter per op class name.

An emitter gets the graph, the recorded call and, when the export has dynamic axes, the same
call from a second trace with those axes grown by one (``other``), from which it tells which
constants depend on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .errors import UnsupportedOperatorError
from .graph import Graph, check_same
from .trace import Call

Emitter = Callable[[Graph, Call, "Call | None"], list[str]]
EMITTERS: dict[str, Emitter] = {}

UNARY = {
    "Relu": "Relu",
    "Sigmoid": "Sigmoid",
    "Tanh": "Tanh",
    "Exp": "Exp",
    "Log": "Log",
    "Sqrt": "Sqrt",
    "Abs": "Abs",
    "Neg": "Neg",
    "Erf": "Erf",
    "Sin": "Sin",
    "Cos": "Cos",
    "Reciprocal": "Reciprocal",
    "Sign": "Sign",
    "Clone": "Identity",
}
BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow", "MatMul": "MatMul"}


def emitter(*names: str) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        for n in names:
            EMITTERS[n] = fn
        return fn

    return register


def _dtype(call: Call) -> np.dtype:
    """The dtype of the call's first tensor argument (constants take it)."""
    return next(a._data.dtype for a in call.args if isinstance(a, Tensor))


def _inputs(g: Graph, call: Call, count: int) -> list[str]:
    like = _dtype(call)
    return [g.name(a, like) for a in call.args[:count]]


for _op, _onnx in UNARY.items():
    EMITTERS[_op] = lambda g, call, other, _onnx=_onnx: g.node(_onnx, _inputs(g, call, 1))
for _op, _onnx in BINARY.items():
    EMITTERS[_op] = lambda g, call, other, _onnx=_onnx: g.node(_onnx, _inputs(g, call, 2))


@emitter("Linear")
def _linear(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, w, b = call.args
    y = g.one("MatMul", [g.name(x), g.one("Transpose", [g.name(w)], perm=[1, 0])])
    return [y] if b is None else g.node("Add", [y, g.name(b)])


@emitter("Rsqrt")
def _rsqrt(g: Graph, call: Call, other: Call | None) -> list[str]:
    return g.node("Reciprocal", [g.one("Sqrt", _inputs(g, call, 1))])


@emitter("Gelu")
def _gelu(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, approximate = g.name(call.args[0]), call.args[1]
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate=approximate)
    dtype = _dtype(call)
    half, one = g.name(0.5, dtype), g.name(1.0, dtype)
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.one("Mul", [g.one("Mul", [x, x]), x])
        inner = g.one("Add", [x, g.one("Mul", [cube, g.name(0.044715, dtype)])])
        t = g.one("Tanh", [g.one("Mul", [inner, g.name(np.sqrt(2 / np.pi), dtype)])])
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.one("Erf", [g.one("Div", [x, g.name(np.sqrt(2.0), dtype)])])
    return g.node("Mul", [g.one("Mul", [x, half]), g.one("Add", [t, one])])


@emitter("LeakyRelu")
def _leaky_relu(g: Graph, call: Call, other: Call | None) -> list[str]:
    return g.node("LeakyRelu", [g.name(call.args[0])], alpha=float(call.args[1]))


@emitter("Elu")
def _elu(g: Graph, call: Call, other: Call | None) -> list[str]:
    return g.node("Elu", [g.name(call.args[0])], alpha=float(call.args[1]))


@emitter("Softmax", "LogSoftmax")
def _softmax(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, dim = call.args
    return g.node(call.name, [g.name(x)], axis=int(dim))


@emitter("AttentionSoftmax")
def _attention_softmax(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, bias = g.name(call.args[0]), call.args[1]
    if bias is not None:
        if other is not None:
            check_same(bias, other.args[1], "an attention mask")
        x = g.one("Add", [x, g.name(bias)])
    return g.node("Softmax", [x], axis=-1)


@emitter("Reshape")
def _reshape(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, shape = call.args
    target = list(shape)
    if other is not None:
        changed = [i for i, (a, b) in enumerate(zip(shape, other.args[1])) if a != b]
        grown = other.args[0]._data.shape
        for i in list(changed):  # a dim copied from the input's same dim: ONNX's 0
            if i < x.ndim and shape[i] == x.shape[i] and other.args[1][i] == grown[i]:
                target[i] = 0
                changed.remove(i)
        if len(changed) > 1:
            raise UnsupportedOperatorError(
                f"Reshape to {tuple(shape)}: {len(changed)} dims depend on dynamic axes, ONNX's "
                "Reshape can infer one"
            )
        for i in changed:
            target[i] = -1
    return g.node("Reshape", [g.name(x), g.ints(target)])


@emitter("Permute")
def _permute(g: Graph, call: Call, other: Call | None) -> list[str]:
    return g.node("Transpose", [g.name(call.args[0])], perm=[int(d) for d in call.args[1]])


@emitter("Cat")
def _cat(g: Graph, call: Call, other: Call | None) -> list[str]:
    dim, *parts = call.args
    return g.node("Concat", [g.name(p) for p in parts], axis=int(dim))


@emitter("Cast")
def _cast(g: Graph, call: Call, other: Call | None) -> list[str]:
    to = g.helper.np_dtype_to_tensor_dtype(np.dtype(call.outputs[0]._data.dtype))
    return g.node("Cast", [g.name(call.args[0])], to=to)


@emitter("Expand")
def _expand(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, shape = call.args
    ones = [
        1 if i >= len(shape) - x.ndim and s == x.shape[i - len(shape) + x.ndim] else s
        for i, s in enumerate(shape)
    ]
    return g.node("Expand", [g.name(x), g.ints(ones)])


@emitter("Where")
def _where(g: Graph, call: Call, other: Call | None) -> list[str]:
    cond, a, b = call.args
    like = next(v._data.dtype for v in (a, b) if isinstance(v, Tensor))
    return g.node("Where", [g.name(cond), g.name(a, like), g.name(b, like)])


@emitter("Clamp")
def _clamp(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, lo, hi = call.args
    like = x._data.dtype
    return g.node("Clip", [g.name(x), g.name(lo, like), g.name(hi, like)])


@emitter("Tril", "Triu")
def _trilu(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, k = call.args
    return g.node("Trilu", [g.name(x), g.ints(int(k))], upper=int(call.name == "Triu"))


@emitter("Sum", "Mean")
def _reduce(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, dim, keepdim = call.args[:3]
    axes = list(range(x.ndim)) if dim is None else [int(d) for d in np.atleast_1d(dim)]
    op = "ReduceSum" if call.name == "Sum" else "ReduceMean"
    if op == "ReduceSum" or g.opset >= 18:
        return g.node(op, [g.name(x), g.ints(axes)], keepdims=int(bool(keepdim)))
    return g.node(op, [g.name(x)], axes=axes, keepdims=int(bool(keepdim)))


@emitter("LayerNorm")
def _layer_norm(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, w, b, ndim, eps = call.args
    shape = x.shape[-int(ndim) :]
    dtype = x._data.dtype
    scale = g.name(w) if w is not None else g.constant(np.ones(shape, dtype))
    bias = g.name(b) if b is not None else g.constant(np.zeros(shape, dtype))
    return g.node(
        "LayerNormalization", [g.name(x), scale, bias], axis=-int(ndim), epsilon=float(eps)
    )


@emitter("BatchNorm")
def _batch_norm(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, w, b, mean, var, _, eps = call.args
    if mean is None:
        raise UnsupportedOperatorError(
            "BatchNorm without running statistics (track_running_stats=False)"
        )
    channels = x.shape[1]
    dtype = x._data.dtype
    scale = g.name(w) if w is not None else g.constant(np.ones(channels, dtype))
    bias = g.name(b) if b is not None else g.constant(np.zeros(channels, dtype))
    return g.node(
        "BatchNormalization",
        [g.name(x), scale, bias, g.name(mean), g.name(var)],
        epsilon=float(eps),
    )


def _window_attrs(windows: Any) -> dict[str, Any]:
    top, bottom, left, right = windows.pad
    return {
        "kernel_shape": list(windows.kernel),
        "strides": list(windows.stride),
        "pads": [top, left, bottom, right],
        "dilations": list(windows.dilation),
    }


@emitter("Conv2d")
def _conv(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, w, b, windows = call.args
    inputs = [g.name(x), g.name(w)] + ([g.name(b)] if b is not None else [])
    return g.node("Conv", inputs, group=windows.groups, **_window_attrs(windows))


@emitter("MaxPool2d")
def _max_pool(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, windows = call.args
    attrs = _window_attrs(windows)
    floor = [
        (p - (d * (k - 1) + 1)) // s + 1
        for p, d, k, s in zip(windows.padded_hw, windows.dilation, windows.kernel, windows.stride)
    ]
    ceil_mode = int(list(windows.out_hw) != floor)
    return g.node("MaxPool", [g.name(x)], ceil_mode=ceil_mode, **attrs)


@emitter("Getitem")
def _getitem(g: Graph, call: Call, other: Call | None) -> list[str]:
    x, index = call.args
    index = index if isinstance(index, tuple) else (index,)
    if other is not None:
        check_same(
            repr(index),
            repr(other.args[1] if isinstance(other.args[1], tuple) else (other.args[1],)),
            "an index",
        )
    if sum(i is Ellipsis for i in index) > 1 or not all(
        isinstance(i, (slice, int, np.integer)) or i is Ellipsis for i in index
    ):
        raise UnsupportedOperatorError(
            f"Getitem with index {index!r}: only slices, integers and ... export to ONNX"
        )
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (x.ndim - len(index) + 1) + index[at + 1 :]
    big = 2**62  # "to the end" in ONNX's Slice; negative starts and ends count from the end
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for axis, i in enumerate(index):
        if isinstance(i, slice):
            if i == slice(None):
                continue
            step = 1 if i.step is None else int(i.step)
            starts.append(i.start if i.start is not None else (0 if step > 0 else -1))
            ends.append(i.stop if i.stop is not None else (big if step > 0 else -big))
            steps.append(step)
        else:
            starts.append(int(i))
            ends.append(int(i) + 1 if int(i) != -1 else big)
            steps.append(1)
            squeeze.append(axis)
        axes.append(axis)
    y = g.name(x)
    if axes:
        y = g.one("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.one("Squeeze", [y, g.ints(squeeze)])
    return [y if axes or squeeze else g.one("Identity", [y])]
