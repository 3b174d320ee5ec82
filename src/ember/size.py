"""``ember.Size``: the type of ``Tensor.shape``, a tuple that prints as PyTorch's does."""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """A tensor's shape (``ember.Size([2, 3])``); a tuple with ``numel()``."""

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, times: Any) -> Size:
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"


class memory_format:  # noqa: N801 (PyTorch's name)
    """A requested memory layout. NumPy arrays here are row-major: ``contiguous_format`` and
    ``preserve_format`` are honoured, ``channels_last`` gives the same values in row-major order."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"ember.{self._name}"


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
