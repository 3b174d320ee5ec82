"""The ONNX graph under construction: names for tensors, initializers, nodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .errors import OnnxExporterError


class Graph:
    """Tensors of the trace get names as they are first met: graph inputs, parameters and
    buffers (by their state_dict names), results of earlier nodes, or else constants."""

    def __init__(self, helper: Any, params: dict[int, str], opset: int) -> None:
        self.helper = helper
        self.params = params
        self.opset = opset
        self.names: dict[int, str] = {}
        self.nodes: list[Any] = []
        self.initializers: dict[str, np.ndarray] = {}
        self._count = 0

    def fresh(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def name(self, value: Any, like: np.dtype | None = None) -> str:
        """The name of a tensor of the trace, or of a constant made from ``value``."""
        if isinstance(value, Tensor):
            key = id(value)
            if key in self.names:
                return self.names[key]
            if key in self.params:
                name = self.params[key]
                self.initializers[name] = value._data
            else:
                name = self.constant(value._data)
            self.names[key] = name
            return name
        if value is None:
            return ""
        return self.constant(np.asarray(value, dtype=like))

    def constant(self, array: np.ndarray) -> str:
        name = self.fresh("const")
        self.initializers[name] = np.ascontiguousarray(array)
        return name

    def ints(self, values: Any) -> str:
        return self.constant(np.asarray(values, dtype=np.int64))

    def bind(self, tensor: Tensor, name: str) -> None:
        """``tensor`` is the value that ``name`` holds."""
        self.names[id(tensor)] = name

    def node(self, op: str, inputs: list[str], outputs: int = 1, **attrs: Any) -> list[str]:
        names = [self.fresh(op.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op, inputs, names, **attrs))
        return names

    def one(self, op: str, inputs: list[str], **attrs: Any) -> str:
        return self.node(op, inputs, 1, **attrs)[0]


def check_same(first: Any, second: Any, where: str) -> None:
    """Values of two traces that must not depend on a dynamic axis."""
    a = first._data if isinstance(first, Tensor) else first
    b = second._data if isinstance(second, Tensor) else second
    same = np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
    if not same:
        raise OnnxExporterError(
            f"{where} depends on the size of a dynamic axis (the model builds it in forward); "
            "export without dynamic_axes, or make it a parameter or buffer"
        )
