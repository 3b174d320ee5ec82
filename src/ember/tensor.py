"""``Tensor``: an n-dimensional array that records the operations applied to it.

Fields and properties live here; every computation is a one-line delegation to ``ember.ops``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import backend, dtypes, ops, printing
from .autograd import engine, function
from .autograd.grad_mode import state
from .ops import elementwise as _elementwise
from .size import Size
from .tensor_conversion import ConversionMethods
from .tensor_factories import FactoryMethods
from .tensor_inplace import InplaceMethods
from .tensor_methods import OpMethods


class RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook out again."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor(ConversionMethods, OpMethods, InplaceMethods, FactoryMethods):
    """An n-dimensional array with automatic differentiation (``ember.tensor([1.0, 2.0])``)."""

    __slots__ = ("__dict__", "__weakref__", "_data", "_requires_grad", "_vc", "grad_fn")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator
    # Rarely set: an instance value lands in __dict__, so creating a tensor stays cheap.
    grad: Tensor | None = None
    _base: Tensor | None = None  # the tensor this one is a view of
    _hooks: list | None = None
    _post_accumulate_hooks: list | None = None
    _tangent: Tensor | None = None  # forward-mode tangent
    _inference = False  # made under inference_mode

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data._data
        self._data = backend.array_from(data, dtype)
        self.grad_fn = None
        self._requires_grad = False
        self._vc = [0]  # version counter, shared with views
        if state.inference:
            self._inference = True
        if requires_grad:
            self.requires_grad_(True)
        if state.tracer is not None:
            state.tracer.created(self)

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn: Any, requires_grad: bool) -> Tensor:
        t = object.__new__(cls)
        t._data = data
        t.grad_fn = grad_fn
        t._requires_grad = requires_grad
        t._vc = [0]
        return t

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> Tensor:
        """The values as a new tensor outside the graph, sharing memory (as in PyTorch). Unlike
        ``detach()``, changes made through it are invisible to autograd's version checks."""
        return Tensor._make(self._data, None, False)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"Tensor.data has to be set to a Tensor, but got {type(value).__name__}"
            )
        self._data = value._data
        self._vc[0] += 1

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def T(self) -> Tensor:
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return ops.transpose(self, -2, -1)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix (the transpose: ember tensors are real)."""
        if self.ndim > 2:
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor. "
                "For batches of matrices, consider using tensor.mH"
            )
        return self.T

    @property
    def mH(self) -> Tensor:
        return ops.transpose(self, -2, -1)

    def clone(self, memory_format: Any = None) -> Tensor:
        return ops.clone(self)

    def size(self, dim: int | None = None) -> Any:
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def is_floating_point(self) -> bool:
        return dtypes.is_floating(self._data.dtype)

    def is_complex(self) -> bool:
        return False  # ember has no complex tensors

    def is_inference(self) -> bool:
        """Whether this tensor was made under ``inference_mode``."""
        return self._inference

    def _check_inference(self, what: str) -> None:
        if self._inference and not state.inference:
            raise RuntimeError(
                f"{what} on an inference tensor (made under ember.inference_mode()) is not "
                "allowed outside inference_mode; .clone() it first to get a normal tensor"
            )

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether gradients are recorded for this leaf tensor (in place)."""
        if not self.is_leaf:
            if requires_grad:
                return self
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use .detach() to get a tensor "
                "outside the graph"
            )
        if requires_grad:
            self._check_inference("requires_grad_(True)")
        if requires_grad and not dtypes.is_floating(self._data.dtype):
            raise RuntimeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}; "
                "convert first, e.g. x.float().requires_grad_()"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (reverse topological order)."""
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn. Set "
                "requires_grad=True on the leaf tensors you want gradients for, and do not compute "
                "the output under no_grad()"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs, but the "
                    f"output has shape {tuple(self.shape)}; pass gradient= (same shape)"
                )
            gradient = Tensor._make(np.ones_like(self._data), None, False)
        elif not isinstance(gradient, Tensor):
            gradient = Tensor(gradient, dtype=self.dtype)
        if gradient._data.shape != self._data.shape:
            raise RuntimeError(
                f"backward: gradient has shape {tuple(gradient.shape)} but the output has shape "
                f"{tuple(self.shape)}"
            )
        retain = create_graph if retain_graph is None else retain_graph
        engine.run_backward([self], [gradient], retain, create_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this data, outside the graph."""
        t = Tensor._make(self._data, None, False)
        t._vc = self._vc
        if self._inference:
            t._inference = True
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if state.tracer is not None:
            state.tracer.escape("Tensor.retain_grad()")
        if self.grad_fn is not None:
            self.grad_fn._retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn._retained is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require grad"
            )
        if state.tracer is not None:
            state.tracer.escape("Tensor.register_hook()")
        if self.grad_fn is not None:
            self.grad_fn.register_hook(hook)
            return RemovableHandle(self.grad_fn._hooks, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(tensor)`` on this leaf after backward has accumulated into its ``.grad``."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: cannot register a hook on a tensor that "
                "doesn't require grad"
            )
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return RemovableHandle(self._post_accumulate_hooks, hook)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(ops.unbind(self, 0))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return printing.tensor_repr(self._data, self.grad_fn, self._requires_grad)

    # ------------------------------------------------------------------ operators
    # The arithmetic operators call their op directly (ops.add and friends add only ``out=``).
    def __add__(self, other: Any) -> Tensor:
        return _elementwise.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _elementwise.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _elementwise.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _elementwise.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _elementwise.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _elementwise.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return ops.remainder(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _elementwise.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _elementwise.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def __invert__(self) -> Tensor:
        return ops.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.logical_or(self, other)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace(ops.index_put, index, value)

    # ------------------------------------------------------------------ in-place
    def _check_inplace_allowed(self, name: str) -> None:
        """PyTorch's refusals: inference tensors outside inference mode, leaves that require
        grad and views of tensors that require grad, while grad mode is on."""
        if self._inference:
            self._check_inference(f"{name} in place")
        grad_on = state.grad_enabled
        if grad_on and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{name}: a leaf tensor that requires grad cannot be modified in place "
                "(wrap the update in ember.no_grad())"
            )
        if grad_on and self._base is not None and self._requires_grad:
            raise RuntimeError(
                f"{name}: in-place modification of a view of a tensor that requires grad "
                "is not supported; use the out-of-place op or .clone() the view first"
            )

    def _inplace(self, op: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
        """Run ``op(self, *args, **kwargs)`` and write the result into self, rebasing self's
        history on it."""
        self._check_inplace_allowed(op.__name__)
        source = _alias(self)
        result = op(source, *args, **kwargs)
        node = result.grad_fn
        if node is not None and any(v is source for v in node._saved):
            source._data = source._data.copy()  # the rule needs the value from before the write
        if not np.can_cast(result.dtype, self.dtype, casting="same_kind"):
            raise TypeError(
                f"{op.__name__}: result dtype {result.dtype} can't be cast to the in-place "
                f"output dtype {self.dtype}"
            )
        if self._data.flags.writeable:
            np.copyto(self._data, result._data, casting="unsafe")
        else:
            raise RuntimeError(
                f"{op.__name__}: the tensor is a read-only view (from expand/broadcast_to); "
                ".clone() it before writing"
            )
        self._vc[0] += 1
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            self._requires_grad = True
        if result._tangent is not None:
            self._tangent = result._tangent
        if state.tracer is not None:
            state.tracer.wrote(self, source, result)
        return self

    def _write_in_place(self, ufunc: np.ufunc, other: Any) -> bool:
        """Write ``ufunc(self, other)`` straight into self, or say False where ``_inplace`` must
        run: this covers what records nothing (no grad mode, or no operand requires grad; no
        inference or forward-AD state) on a writable floating array with an operand of its
        dtype (or a Python number) that leaves its shape as it is. The values are those of the
        out-of-place op: the same NumPy loop, written to self instead of a new array."""
        data = self._data
        if state.special or self._inference or data.dtype.kind != "f" or not data.flags.writeable:
            return False
        if isinstance(other, Tensor):
            if other._requires_grad and state.grad_enabled:
                return False
            other = other._data
            if other.dtype != data.dtype or (other.shape != data.shape and other.ndim):
                return False
        elif type(other) is not float and type(other) is not int:
            return False
        if self._requires_grad and state.grad_enabled:
            return False
        ufunc(data, other, out=data)
        self._vc[0] += 1
        return True

    def __iadd__(self, other: Any) -> Tensor:
        return self if self._write_in_place(np.add, other) else self._inplace(ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self if self._write_in_place(np.subtract, other) else self._inplace(ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self if self._write_in_place(np.multiply, other) else self._inplace(ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(ops.div, other)


def _alias(t: Tensor) -> Tensor:
    """Another handle on the same data and history: the input of an in-place op. It has its own
    version counter, since the write that follows is the op's own output, not a later change."""
    a = Tensor._make(t._data, t.grad_fn, t._requires_grad)
    if t._tangent is not None:
        a._tangent = t._tangent
    return a


function.register_tensor_type(Tensor)
