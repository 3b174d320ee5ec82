"""Calling a module with its hooks; full backward hooks ``hook(module, grad_input, grad_output)``
on tensor hooks.

For one forward call, the tensors among the module's inputs (and among its outputs) are routed
through a single node each: flattened, concatenated and split again. That node's tensor hook then
sees the gradients of all inputs (all outputs) at once, which is what the module hook receives,
and a replacement ``grad_input`` flows on to the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import ops
from ..autograd.grad_mode import is_grad_enabled, state
from ..tensor import Tensor


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``module(*args, **kwargs)`` with its forward pre-hooks, forward hooks and backward hooks."""
    if state.tracer is not None:
        state.tracer.escape(f"hooks of the module {type(module).__name__}")
    for hook, with_kwargs in list(module._forward_pre_hooks):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, new_kwargs)"
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if module._backward_hooks and is_grad_enabled():
        backward = BackwardHook(module, module._backward_hooks)
        args = backward.setup_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module._forward_hooks):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    if backward is not None:
        output = backward.setup_outputs(output)
    return output


class BackwardHook:
    """The backward-hook bookkeeping of one call of ``module``."""

    def __init__(self, module: Any, hooks: Sequence[Callable[..., Any]]) -> None:
        self.module = module
        self.hooks = list(hooks)
        self.n_inputs = 0
        self.input_slots: list[int] = []
        self.n_outputs = 0
        self.output_slots: list[int] = []
        self.grad_outputs: tuple = ()

    def setup_inputs(self, args: tuple) -> tuple:
        """Route the inputs that require grad; returns the arguments ``forward`` gets."""
        self.n_inputs = len(args)
        self.input_slots = _slots(args)
        return _route(args, self.input_slots, self._on_grad_inputs)

    def setup_outputs(self, output: Any) -> Any:
        """Route the outputs that require grad; returns what the module call returns."""
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        self.n_outputs = len(outputs)
        self.output_slots = _slots(outputs)
        routed = _route(outputs, self.output_slots, self._on_grad_outputs)
        return routed[0] if single else routed

    def _on_grad_outputs(self, grads: list[Tensor]) -> None:
        self.grad_outputs = _spread(grads, self.output_slots, self.n_outputs)
        if not self.input_slots:
            self._run((None,) * self.n_inputs)

    def _on_grad_inputs(self, grads: list[Tensor]) -> list[Tensor] | None:
        return self._run(_spread(grads, self.input_slots, self.n_inputs))

    def _run(self, grad_input: tuple) -> list[Tensor] | None:
        replaced = False
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is None:
                continue
            result = tuple(result)
            if len(result) != len(grad_input):
                raise RuntimeError(
                    f"backward hook returned {len(result)} gradients, expected {len(grad_input)}"
                )
            grad_input = result
            replaced = True
        if not replaced:
            return None
        return [grad_input[i] for i in self.input_slots]


def _slots(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]


def _spread(grads: list[Tensor], slots: list[int], n: int) -> tuple:
    out: list[Any] = [None] * n
    for slot, g in zip(slots, grads):
        out[slot] = g
    return tuple(out)


def _route(values: tuple, slots: list[int], on_grads: Callable[[list], Any]) -> tuple:
    """Pass ``values[slots]`` through one node whose hook calls ``on_grads(per-tensor grads)``;
    ``on_grads`` may return replacement gradients."""
    if not slots:
        return values
    tensors = [values[i] for i in slots]
    sizes = [t.numel() for t in tensors]
    flat = ops.cat([t.reshape(-1) for t in tensors])

    def hook(grad: Tensor) -> Tensor | None:
        pieces = [p.reshape(t.shape) for p, t in zip(grad.split(sizes), tensors)]
        replaced = on_grads(pieces)
        if replaced is None:
            return None
        return ops.cat(
            [(r if r is not None else p * 0).reshape(-1) for r, p in zip(replaced, pieces)]
        )

    flat.register_hook(hook)
    out = list(values)
    for slot, piece, t in zip(slots, flat.split(sizes), tensors):
        out[slot] = piece.reshape(t.shape).to(t.dtype)
    return tuple(out)
