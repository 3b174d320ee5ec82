"""Recurrent layers with PyTorch's names, gate order, parameter names and initialisation:
``RNN``, ``LSTM`` (with ``proj_size``), ``GRU``, and the one-step ``RNNCell``, ``LSTMCell``,
``GRUCell``. State dicts move between ember and torch unchanged.

Each layer and direction projects the whole input sequence with one matrix product, then runs
the time loop as one fused op (``ops.recurrent``). Inputs may be dense (T, B, I), batch-first
(B, T, I), unbatched (T, I), or a ``PackedSequence``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from .. import creation, ops
from ..ops.recurrent import recurrence
from ..tensor import Tensor
from . import functional as F  # noqa: N812 - PyTorch's spelling
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters ``weight_ih_l{k}[_reverse]``,
    ``weight_hh_l{k}[_reverse]``, ``bias_ih_l{k}[_reverse]``, ``bias_hh_l{k}[_reverse]`` (and
    ``weight_hr_l{k}[_reverse]`` with ``proj_size``), all ~ U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + str(mode))
        _check_sizes(hidden_size, num_layers, proj_size, dropout)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else real_hidden * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gate_size, real_hidden),
                }
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                if proj_size > 0:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    empty = creation.empty(shape, dtype=dtype, device=device)
                    setattr(self, name, Parameter(empty))
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op, as on a CPU: the weights need no contiguous cuDNN buffer."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self, index: int) -> tuple:
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of layer-direction ``index`` (None where absent)."""
        layer, direction = divmod(index, self._directions)
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        return tuple(get(kind + suffix) for kind in kinds)

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _state_size(self) -> int:
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def _run(self, input: Any, hx: Any) -> tuple[Any, Any]:
        """The shared forward: returns (output, h_n) or (output, (h_n, c_n))."""
        lstm = self.mode == "LSTM"
        name = type(self).__name__
        if isinstance(input, PackedSequence):
            rows, batch_sizes = input.data, tuple(int(b) for b in input.batch_sizes)
            batch = batch_sizes[0] if batch_sizes else 0
            hx = _map_state(
                hx,
                lambda s: (
                    s.index_select(1, input.sorted_indices)
                    if input.sorted_indices is not None
                    else s
                ),
            )
            unbatched = False
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead"
                )
            unbatched = input.dim() == 2
            _check_state_dims(hx, unbatched, lstm)
            if unbatched:
                input = input.unsqueeze(1)
                hx = _map_state(hx, lambda s: s.unsqueeze(1))
            elif self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            rows = input.reshape(steps * batch, input.shape[2])
            batch_sizes = (batch,) * steps
        if rows.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {rows.shape[-1]}"
            )
        h0, c0 = self._initial_states(hx, batch, rows.dtype)
        out, h_n, c_n = self._layers(rows, batch_sizes, h0, c0)
        hidden = (h_n, c_n) if lstm else h_n
        if isinstance(input, PackedSequence):
            if input.unsorted_indices is not None:
                hidden = _map_state(hidden, lambda s: s.index_select(1, input.unsorted_indices))
            packed = type(input)(
                out, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
            return packed, hidden
        out = out.reshape(steps, batch, out.shape[-1])
        if unbatched:
            return out.squeeze(1), _map_state(hidden, lambda s: s.squeeze(1))
        return (out.transpose(0, 1) if self.batch_first else out), hidden

    def _initial_states(self, hx: Any, batch: int, dtype: Any) -> tuple[Any, Any]:
        lstm = self.mode == "LSTM"
        count = self.num_layers * self._directions
        h_shape = (count, batch, self._state_size)
        c_shape = (count, batch, self.hidden_size)
        if hx is None:
            h0 = creation.zeros(h_shape, dtype=dtype)
            return h0, (creation.zeros(c_shape, dtype=dtype) if lstm else None)
        h0, c0 = hx if lstm else (hx, None)
        _check_shape(h0, h_shape, "Expected hidden[0] size" if lstm else "Expected hidden size")
        if lstm:
            _check_shape(c0, c_shape, "Expected hidden[1] size")
        return h0, c0

    def _layers(self, rows: Any, batch_sizes: tuple, h0: Any, c0: Any) -> tuple:
        """Run every layer and direction over the packed ``rows``; (output rows, h_n, c_n)."""
        size = self._state_size
        last = _last_rows(batch_sizes)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(k)
                gx = F.linear(rows, w_ih, b_ih)
                c = None if c0 is None else c0[k]
                out = recurrence(
                    gx, h0[k], c, w_hh, b_hh, w_hr, self.mode, batch_sizes, direction == 1
                )
                final = out[last if direction == 0 else slice(0, h0.shape[1])]
                h_n.append(final[:, :size] if c0 is not None else final)
                if c0 is not None:
                    c_n.append(final[:, size:])
                    out = out[:, :size]
                outs.append(out)
            rows = outs[0] if len(outs) == 1 else ops.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                rows = F.dropout(rows, self.dropout, True)
        return rows, ops.stack(h_n), (ops.stack(c_n) if c0 is not None else None)


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Shapes: input (T, B, input_size) (or (B, T, .) with ``batch_first``, or (T, input_size)),
    h_0 (num_layers * directions, B, hidden_size) -> output (T, B, directions * hidden_size), h_n.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._run(input, hx)


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), optionally with a projection of h to
    ``proj_size``. Returns output, (h_n, c_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
        )

    def forward(self, input: Any, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Any, Any]:
        return self._run(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; PyTorch's n = tanh(W_in x + b_in + r (W_hn h +
    b_hn))). Returns output, h_n."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
        )

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._run(input, hx)


def _check_sizes(hidden_size: Any, num_layers: int, proj_size: int, dropout: Any) -> None:
    if (
        not isinstance(dropout, numbers.Number)
        or isinstance(dropout, bool)
        or not 0 <= dropout <= 1
    ):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
            f"expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=4,
        )
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _map_state(hx: Any, fn: Any) -> Any:
    """``fn`` applied to the hidden state, or to both parts of an LSTM's (h, c)."""
    if hx is None:
        return None
    if isinstance(hx, tuple):
        return tuple(fn(s) for s in hx)
    return fn(hx)


def _check_state_dims(hx: Any, unbatched: bool, lstm: bool) -> None:
    if hx is None:
        return
    want = 2 if unbatched else 3
    kind = "unbatched 2-D" if unbatched else "batched 3-D"
    if lstm:
        if hx[0].dim() != want or hx[1].dim() != want:
            raise RuntimeError(
                f"For {kind} input, hx and cx should also be {want}-D but got "
                f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
            )
    elif hx.dim() != want:
        raise RuntimeError(
            f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor"
        )


def _check_shape(state: Any, expected: tuple, message: str) -> None:
    if tuple(state.shape) != expected:
        raise RuntimeError(f"{message} {expected}, got {list(state.shape)}")


def _last_rows(batch_sizes: tuple) -> Any:
    """The packed rows holding each sequence's last step, in batch order (a slice when every
    sequence has the same length)."""
    total = sum(batch_sizes)
    if not batch_sizes or all(b == batch_sizes[0] for b in batch_sizes):
        return slice(total - (batch_sizes[0] if batch_sizes else 0), total)
    offsets = [0]
    for b in batch_sizes[:-1]:
        offsets.append(offsets[-1] + b)
    lengths = [sum(1 for b in batch_sizes if b > j) for j in range(batch_sizes[0])]
    return Tensor([offsets[n - 1] + j for j, n in enumerate(lengths)])


# ---------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Parameters ``weight_ih`` (gates * hidden, input), ``weight_hh`` (gates * hidden, hidden),
    ``bias_ih``, ``bias_hh``, all ~ U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _step(self, mode: str, input: Any, hx: Any) -> Any:
        """One step; ``hx`` is None, h, or (h, c). Unbatched (1-D) inputs and states work."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        states = hx if isinstance(hx, tuple) else (hx,)
        for i, s in enumerate(states):
            if s is not None and s.dim() not in (1, 2):
                what = f"hx[{i}]" if isinstance(hx, tuple) else "hidden"
                raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = _map_state(hx, lambda s: s.unsqueeze(0))
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        batch = input.shape[0]
        if hx is None:
            zeros = creation.zeros(batch, self.hidden_size, dtype=input.dtype)
            hx = (zeros, zeros) if mode == "LSTM" else zeros
        h, c = hx if mode == "LSTM" else (hx, None)
        gx = F.linear(input, self.weight_ih, self.bias_ih)
        out = recurrence(gx, h, c, self.weight_hh, self.bias_hh, None, mode, (batch,))
        result = (out[:, : self.hidden_size], out[:, self.hidden_size :]) if c is not None else out
        return result if batched else _map_state(result, lambda s: s.squeeze(0))


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu; (B, I), (B, H) -> (B, H)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, hx)


class LSTMCell(RNNCellBase):
    """One LSTM step: (B, I), (h, c) -> (h', c')."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple:
        return self._step("LSTM", input, hx)


class GRUCell(RNNCellBase):
    """One GRU step: (B, I), (B, H) -> (B, H)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, hx)
