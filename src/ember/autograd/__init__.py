"""Automatic differentiation: Function/Op, the backward engine, grad-mode switches."""

from .engine import grad, run_backward
from .function import Function, Node, Op
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "Node",
    "Op",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "run_backward",
    "set_grad_enabled",
]
