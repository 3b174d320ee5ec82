"""``ember.compile``: PyTorch's compiler entry point, backed by ``ember.jit``: the first call of
each signature runs eagerly and is recorded; later calls replay the recording on arrays
(docs/compile.md)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..jit import CompiledCallable
from ..nn.module import Module
from ..nn.optimized import OptimizedModule

KEEPING_MODES = ("reduce-overhead", "max-autotune")  # modes whose replays keep their buffers


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
    """Compile a function or an ``nn.Module``; without ``model``, a decorator that does
    (``@ember.compile(fullgraph=True)``). A module comes back as an ``OptimizedModule`` holding
    it as ``_orig_mod``. ``mode="reduce-overhead"`` or ``"max-autotune"`` (the modes in which
    PyTorch keeps CUDA graphs' memory) keep each replay's large arrays for the next call:
    faster for large models, more memory held between calls. ``backend`` and ``options`` are
    accepted and have no effect. With ``disable=True`` the model comes back unchanged."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified")
    if model is None:

        def decorate(fn: Callable) -> Any:
            return compile(
                fn,
                fullgraph=fullgraph,
                dynamic=dynamic,
                backend=backend,
                mode=mode,
                options=options,
                disable=disable,
            )

        return decorate
    if not callable(model):
        raise RuntimeError("ember.compile: the model must be callable (a function or a Module)")
    if disable:
        return model
    flags = {"fullgraph": fullgraph, "dynamic": dynamic, "keep_buffers": mode in KEEPING_MODES}
    if isinstance(model, Module):
        compiled = CompiledCallable(model.__call__, list(model.modules()), **flags)
        return OptimizedModule(model, compiled)
    return CompiledCallable(model, modules_used_by(model), **flags)


def compile_forward(module: Module, *args: Any, **kwargs: Any) -> None:
    """``Module.compile``: the module's own ``forward`` becomes a compiled one (its hooks run
    around it, as with PyTorch's compiled call)."""
    forward = compile(type(module).forward.__get__(module), *args, **kwargs)
    if isinstance(forward, CompiledCallable):
        forward._modules = list(module.modules())
    object.__setattr__(module, "forward", forward)


def modules_used_by(fn: Callable) -> list[Module]:
    """The modules a function reaches through ``self``, its closure or the globals it names (and
    their submodules): the signature covers their ``training`` flags and parameters."""
    found: list[Module] = []
    owner = getattr(fn, "__self__", None)
    candidates = [owner] if owner is not None else []
    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is not None:
        func = inspect.unwrap(fn)
        candidates += [c.cell_contents for c in (func.__closure__ or ()) if _filled(c)]
        names = getattr(func, "__globals__", {})
        candidates += [names[n] for n in code.co_names if n in names]
    for c in candidates:
        if isinstance(c, Module):
            found += [m for m in c.modules() if all(m is not f for f in found)]
    return found


def _filled(cell: Any) -> bool:
    try:
        return cell.cell_contents is not None
    except ValueError:  # an empty cell
        return False
