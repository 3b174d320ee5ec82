"""ONNX nodes for whole modules: recurrent layers (ONNX's LSTM, GRU and RNN) and embeddings."""

from __future__ import annotations

import numpy as np

from .. import nn
from ..tensor import Tensor
from .errors import UnsupportedOperatorError
from .graph import Graph
from .trace import Call

# PyTorch's gate blocks (rows of weight_ih/weight_hh) in ONNX's order.
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def emit_module(g: Graph, call: Call) -> list[str]:
    module = call.fn
    if isinstance(module, nn.Embedding):
        (indices,) = call.args[:1]
        if id(indices) not in g.names:
            raise UnsupportedOperatorError(
                "Embedding: its indices must be a graph input (integer ops before it are not "
                "recorded)"
            )
        return g.node("Gather", [g.name(module.weight), g.names[id(indices)]], axis=0)
    return _recurrent(g, module, call)


def _gates(weight: np.ndarray, mode: str) -> np.ndarray:
    blocks = np.split(weight, len(_GATE_ORDER[mode]))
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]])


def _recurrent(g: Graph, module: nn.RNNBase, call: Call) -> list[str]:
    x, *rest = call.args
    state = rest[0] if rest else None
    if not isinstance(x, Tensor) or x.ndim != 3 or module.proj_size:
        raise UnsupportedOperatorError(
            f"{type(module).__name__}: ONNX export needs a batched 3-D input tensor (not a "
            "PackedSequence or an unbatched input) and proj_size=0"
        )
    mode = module.mode
    op = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    hidden = module.hidden_size
    dirs = 2 if module.bidirectional else 1
    h0, c0 = (
        (state if isinstance(state, tuple) else (state, None))
        if state is not None
        else (None, None)
    )
    layer_in = g.name(x)
    if module.batch_first:  # ONNX's layout 1 is not run everywhere: go time-major instead
        layer_in = g.one("Transpose", [layer_in], perm=[1, 0, 2])
    params = dict(module.named_parameters())
    h_out, c_out = [], []
    for layer in range(module.num_layers):
        names = [f"_l{layer}" + ("_reverse" if d else "") for d in range(dirs)]

        def stacked(kind: str, names: list[str] = names) -> np.ndarray:
            return np.stack([_gates(params[f"{kind}{s}"]._data, mode) for s in names])

        inputs = [layer_in, g.constant(stacked("weight_ih")), g.constant(stacked("weight_hh"))]
        if module.bias:
            inputs.append(g.constant(np.concatenate([stacked("bias_ih"), stacked("bias_hh")], 1)))
        else:
            inputs.append("")
        inputs.append("")  # sequence_lens: every sequence is whole
        rows = [g.ints([layer * dirs]), g.ints([(layer + 1) * dirs]), g.ints([0])]
        for initial in (h0, c0) if op == "LSTM" else (h0,):
            inputs.append("" if initial is None else g.one("Slice", [g.name(initial), *rows]))
        attrs = {"hidden_size": hidden, "direction": "bidirectional" if dirs == 2 else "forward"}
        if op == "GRU":
            attrs["linear_before_reset"] = 1
        if op == "RNN":
            attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * dirs
        outs = g.node(op, inputs, 3 if op == "LSTM" else 2, **attrs)
        y = g.one("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (seq, batch, dirs, hidden)
        layer_in = g.one("Reshape", [y, g.ints([0, 0, -1])])
        h_out.append(outs[1])
        if op == "LSTM":
            c_out.append(outs[2])
    out = g.one("Transpose", [layer_in], perm=[1, 0, 2]) if module.batch_first else layer_in
    results = [out]
    for states in (h_out, c_out) if op == "LSTM" else (h_out,):
        results.append(states[0] if len(states) == 1 else g.one("Concat", states, axis=0))
    return results
