"""``OptimizedModule``: what ``ember.compile(module)`` returns, as PyTorch's does.

It holds the module as ``_orig_mod`` (so ``state_dict`` keys start with ``_orig_mod.``), calls a
compiled ``_orig_mod.__call__`` as its forward, and forwards other attribute reads and writes to
the module.
"""

from __future__ import annotations

from typing import Any

from .module import Module


class OptimizedModule(Module):
    """A module whose calls are recorded and replayed (``ember.compile(module)``)."""

    _opt_mod_attributes = frozenset({"_orig_mod", "forward", "_compiled"})

    def __init__(self, mod: Module, compiled: Any) -> None:
        super().__init__()
        del self.__dict__["training"]  # read from the module, as PyTorch does
        self._modules["_orig_mod"] = mod
        object.__setattr__(self, "forward", compiled)

    def __getattr__(self, name: str) -> Any:
        if name == "_orig_mod":
            return self.__dict__["_modules"]["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)

    def __dir__(self) -> list[str]:
        own = self._orig_mod.__dir__()
        return own + [a for a in super().__dir__() if a not in own]
