"""``Tensor.new_*``: new tensors with this tensor's dtype (and device) unless told otherwise,
as in PyTorch (``x.new_zeros(2, 3)``, ``x.new_tensor([1, 2])``, ``x.new_full((2,), 7.0)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import backend
from .ops.args import constant

if TYPE_CHECKING:
    from .tensor import Tensor


def _sizes(size: tuple) -> tuple[int, ...]:
    """``new_zeros(2, 3)`` and ``new_zeros((2, 3))`` alike."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


class FactoryMethods:
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()

    def _new_like(self, data: Any, device: Any, requires_grad: bool) -> Tensor:
        backend.check_device(device)
        t = constant(data)
        return t.requires_grad_(True) if requires_grad else t

    def _new_dtype(self, dtype: Any) -> Any:
        return self.dtype if dtype is None else backend.as_dtype(dtype)

    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """A copy of ``data`` as a tensor of this tensor's dtype (or ``dtype``)."""
        data = getattr(data, "_data", data)
        array = backend.xp.array(data, dtype=self._new_dtype(dtype), copy=True)
        return self._new_like(array, device, requires_grad)

    def new_zeros(
        self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """Zeros of ``size``, this tensor's dtype unless ``dtype`` is given."""
        array = backend.xp.zeros(_sizes(size), self._new_dtype(dtype))
        return self._new_like(array, device, requires_grad)

    def new_ones(
        self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """Ones of ``size``, this tensor's dtype unless ``dtype`` is given."""
        array = backend.xp.ones(_sizes(size), self._new_dtype(dtype))
        return self._new_like(array, device, requires_grad)

    def new_empty(
        self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """An uninitialised tensor of ``size``, this tensor's dtype unless ``dtype`` is given."""
        array = backend.xp.empty(_sizes(size), self._new_dtype(dtype))
        return self._new_like(array, device, requires_grad)

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        *,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        """``fill_value`` in every element of ``size``, this tensor's dtype unless told."""
        array = backend.xp.full(_sizes((size,)), fill_value, self._new_dtype(dtype))
        return self._new_like(array, device, requires_grad)
