"""``Tensor`` conversions and memory facts: ``to``, ``type``, ``item``, ``numpy``, ``__format__``,
``stride``, ``data_ptr`` and the other methods PyTorch programs use to move or inspect a tensor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import backend, devices, dtypes, ops
from .autograd.grad_mode import state

if TYPE_CHECKING:
    from .tensor import Tensor


class UntypedStorage:
    """The bytes under a tensor (its root NumPy array): ``nbytes()`` and ``data_ptr()``."""

    __slots__ = ("_root",)

    def __init__(self, root: np.ndarray) -> None:
        self._root = root

    def nbytes(self) -> int:
        return int(self._root.nbytes)

    def size(self) -> int:
        return int(self._root.nbytes)

    def data_ptr(self) -> int:
        return int(self._root.__array_interface__["data"][0])


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class ConversionMethods:
    """Mixed into ``Tensor``; holds no state."""

    __slots__ = ()
    _data: np.ndarray

    # ------------------------------------------------------------------ Python values
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a scalar"
            )
        if state.tracer is not None:
            state.tracer.escape("Tensor.item()")
        return _python(self._data).item()

    def tolist(self) -> Any:
        if state.tracer is not None:
            state.tracer.escape("Tensor.tolist()")
        return _python(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The NumPy array (shared); a tensor that requires grad must be detached first."""
        if self.requires_grad and not force:  # type: ignore[attr-defined]
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if state.tracer is not None:
            state.tracer.escape("Tensor.numpy()")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if state.tracer is not None:
            state.tracer.escape("a NumPy conversion of a tensor")
        return self._data if dtype is None else self._data.astype(dtype)

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); others only without a spec."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return str(self)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous"
            )
        if state.tracer is not None:
            state.tracer.escape("bool() of a tensor")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        if state.tracer is not None:
            state.tracer.escape("a tensor used as a Python index")
        return int(self._data)

    # ------------------------------------------------------------------ dtype and device
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device, dtype)``, ``to(other)``, with ``non_blocking``, ``copy`` and
        ``memory_format``; returns self when nothing changes and ``copy`` is False."""
        dev, dtype, _, copy, _ = devices.parse_to(args, kwargs)
        backend.check_device(dev)
        if dtype is not None and backend.as_dtype(dtype) != self._data.dtype:
            return ops.cast(self, backend.as_dtype(dtype))
        return ops.clone(self) if copy else self  # type: ignore[return-value]

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without an argument, the type name (``'ember.FloatTensor'``); otherwise ``to(dtype)``
        (a type name such as ``'torch.DoubleTensor'`` is accepted too)."""
        if dtype is None:
            return dtypes.type_name(self.dtype)  # type: ignore[attr-defined]
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype = dtypes.from_type_name(dtype)
        return self.to(dtype, non_blocking)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def bfloat16(self) -> Tensor:
        return self.to(dtypes.bfloat16)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    @property
    def device(self) -> devices.device:
        return devices.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def cpu(self) -> Tensor:
        return self  # type: ignore[return-value]

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """Raises as a CPU-only PyTorch does."""
        raise AssertionError(devices.NO_CUDA)

    # ------------------------------------------------------------------ memory
    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        return self if self._data.flags.c_contiguous else ops.clone(self)  # type: ignore

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements between neighbours along each dim (0 along broadcast dims)."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    def storage_offset(self) -> int:
        """Elements between the start of the underlying buffer and this tensor's first one."""
        start = _root(self._data).__array_interface__["data"][0]
        return (self.data_ptr() - start) // self._data.itemsize

    def untyped_storage(self) -> UntypedStorage:
        return UntypedStorage(_root(self._data))

    def share_memory_(self) -> Tensor:
        """Returns self: ember has no multiprocessing tensors, so nothing is moved."""
        return self  # type: ignore[return-value]

    def is_shared(self) -> bool:
        return False

    def pin_memory(self, device: Any = None) -> Tensor:
        """Pinned memory needs an accelerator; raises as a CPU-only PyTorch does."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device: Any = None) -> bool:
        return False


def _python(a: np.ndarray) -> np.ndarray:
    """NumPy gives ml_dtypes' bfloat16 scalars from .item(); a float32 copy gives Python floats."""
    return a.astype(np.float32) if dtypes.is_bfloat16(a.dtype) else a
