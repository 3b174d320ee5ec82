"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered when assigned to a ``Module`` attribute.

    ``Parameter(data)`` shares ``data``'s memory (as PyTorch does); results of operations on a
    parameter are plain tensors.

    >>> import ember
    >>> ember.nn.Parameter(ember.zeros(2))
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            array = backend.xp.empty(0, backend.default_float())
        elif isinstance(data, Tensor):
            array = data._data
        else:
            array = backend.array_from(data)
        param = cls._make(array, None, False)
        if isinstance(data, Tensor):
            param._vc = data._vc
        param.requires_grad_(requires_grad)
        return param

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        """Everything happens in ``__new__``."""

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
