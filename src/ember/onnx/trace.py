"""Running a model once and recording what it computes: ops, and whole modules that map to one
ONNX node (recurrent layers, embeddings), whose inner ops are then not recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import nn
from ..autograd import function
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

MODULES = (nn.LSTM, nn.GRU, nn.RNN, nn.Embedding)


@dataclass
class Call:
    """One recorded op (``fn`` an Op class) or module (``fn`` the module instance)."""

    fn: Any
    args: list[Any]
    outputs: list[Tensor]

    @property
    def name(self) -> str:
        return self.fn.__name__ if isinstance(self.fn, type) else type(self.fn).__name__


@dataclass
class Trace:
    inputs: list[Tensor]
    outputs: list[Tensor]
    calls: list[Call] = field(default_factory=list)
    keep: list[Any] = field(default_factory=list)  # holds every tensor so that ids stay unique


def run(model: nn.Module, args: tuple[Any, ...]) -> Trace:
    """Run ``model(*args)`` with copies of the inputs (floats requiring grad, so that every op
    on them is recorded) and return what ran."""
    inputs = [_traced_copy(a) for a in args]
    trace = Trace(inputs, [])
    depth = [0]

    def observe(cls: type, op_args: tuple, result: Tensor) -> None:
        if depth[0] == 0:
            trace.calls.append(Call(cls, list(op_args), [result]))
            trace.keep.append(result)

    def enter(module: nn.Module, module_args: tuple) -> None:
        depth[0] += 1

    def leave(module: nn.Module, module_args: tuple, output: Any) -> None:
        depth[0] -= 1
        if depth[0] == 0:
            outputs = list(tensors(output))
            trace.calls.append(Call(module, list(module_args), outputs))
            trace.keep.extend(outputs)

    handles = []
    for m in model.modules():
        if isinstance(m, MODULES):
            handles += [m.register_forward_pre_hook(enter), m.register_forward_hook(leave)]
    function.observers.append(observe)
    try:
        with enable_grad():
            output = model(*inputs)
    finally:
        function.observers.remove(observe)
        for h in handles:
            h.remove()
    trace.outputs = list(tensors(output))
    return trace


def _traced_copy(a: Any) -> Any:
    if not isinstance(a, Tensor):
        return a
    copy = Tensor._make(a._data.copy(), None, False)
    return copy.requires_grad_() if a._data.dtype.kind == "f" else copy


def tensors(value: Any) -> Iterator[Tensor]:
    """The tensors in a (nested) output, in order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from tensors(v)
