"""``ember.compile``: PyTorch's compiler entry point. ember has no compiler yet, so it returns the
function or module itself: results are those of eager execution, as ``torch.compile`` promises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compile(
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable = "inductor",
    mode: str | None = None,
    options: dict | None = None,
    disable: bool = False,
) -> Any:
    """Return ``model`` unchanged (a function or an ``nn.Module``); without ``model``, a decorator
    that does the same (``@ember.compile(mode="max-autotune")``)."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified")
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("ember.compile: the model must be callable (a function or a Module)")
    return model
