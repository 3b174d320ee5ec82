"""``import torch`` served by ember, in this process only: a ``sys.meta_path`` finder.

The script sees ember's modules under PyTorch's names (``torch`` is ``ember``, ``torch.nn`` is
``ember.nn``, ``torch.utils.data`` is ``ember.data``) through thin module objects that forward
every read and write to the ember module behind them. They say what they are (``__name__`` is
the ember module's name, ``__version__`` ember's version). A name ember lacks raises
:class:`NotInEmberError`, an ``AttributeError`` naming ``torch.X`` and the script line that
asked, so ``hasattr``/``getattr(..., default)`` still work. Nothing is written to disk and no
package named ``torch`` is installed: other processes keep their own ``torch`` (or none).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any

EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NotInEmberError(AttributeError):
    """A ``torch.X`` that ember does not provide (an AttributeError, so ``hasattr`` works)."""


class ModuleNotInEmberError(ModuleNotFoundError):
    """An ``import torch.X`` that ember cannot serve (an ImportError, so fallbacks work)."""


def _caller() -> str:
    """``FILE, line N`` of the nearest frame outside ember and the import system."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith((EMBER_DIR, "<frozen")):
            return f"{filename}, line {frame.f_lineno}"
        frame = frame.f_back
    return "unknown location"


class TorchModule(types.ModuleType):
    """The module a script gets for ``torch`` or ``torch.X``: a view of one ember module."""

    def __init__(self, torch_name: str, target: types.ModuleType) -> None:
        super().__init__(target.__name__)
        self.__dict__["_torch_name"] = torch_name
        self.__dict__["_target"] = target
        self.__dict__["__path__"] = []  # a package: ``import torch.X`` asks this finder

    def __getattr__(self, name: str) -> Any:
        target = self.__dict__["_target"]
        torch_name = f"{self.__dict__['_torch_name']}.{name}"
        try:
            value = getattr(target, name)
        except AttributeError:
            if name == "__all__":
                return [n for n in vars(target) if not n.startswith("_")]
            value = _import_ember(torch_name) if not name.startswith("__") else None
            if value is None:
                raise NotInEmberError(
                    f"ember does not provide {torch_name} ({_caller()})", name=name, obj=self
                ) from None
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "ember":
            value = module_for(torch_name, value)
        if isinstance(value, _CACHED):  # found directly next time: no lookup in a hot loop
            self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system records __spec__ & co. and each imported submodule on the parent;
        # those belong to this view. Everything else (torch.backends.cudnn.benchmark = True)
        # is a setting of the ember module itself.
        if name.startswith("__") or isinstance(value, TorchModule):
            self.__dict__[name] = value
        else:
            self.__dict__.pop(name, None)
            setattr(self.__dict__["_target"], name, value)

    def __delattr__(self, name: str) -> None:
        local = self.__dict__.pop(name, None)
        if not (name.startswith("__") or isinstance(local, TorchModule)):
            delattr(self.__dict__["_target"], name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__dict__["_target"])) | set(self.__dict__) - {"_target"})

    def __repr__(self) -> str:
        return f"<module {self.__name__!r} serving {self.__dict__['_torch_name']!r}>"


_modules: dict[str, TorchModule] = {}
# What a view may keep once looked up: functions, classes and module views, never plain values
# (a setting such as ``torch.backends.cudnn.benchmark`` is always read from ember's module).
_CACHED = (types.FunctionType, types.BuiltinFunctionType, type, TorchModule)


def _import_ember(torch_name: str) -> types.ModuleType | None:
    """The ember module behind ``torch_name`` (``torch.utils.data`` -> ``ember.data``), or None."""
    module = importlib.import_module("ember")
    for part in torch_name.split(".")[1:]:
        child = getattr(module, part, None)
        if not isinstance(child, types.ModuleType):
            try:
                child = importlib.import_module(f"{module.__name__}.{part}")
            except ModuleNotFoundError as e:
                if e.name is None or not f"{module.__name__}.{part}".startswith(e.name):
                    raise  # a dependency of an existing ember module is missing: say so
                return None
        module = child
    return module


def module_for(torch_name: str, target: types.ModuleType) -> TorchModule:
    """The one view that serves ``torch_name`` in this process."""
    view = _modules.get(torch_name)
    if view is None:
        view = _modules[torch_name] = TorchModule(torch_name, target)
    return view


class TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*`` in ember; every other name is left to the next finder."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        module = _import_ember(fullname)
        if module is None:
            raise ModuleNotInEmberError(
                f"ember does not provide {fullname} ({_caller()})", name=fullname
            )
        module_for(fullname, module)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> TorchModule:
        return _modules[spec.name]

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the ember module behind the view is already imported."""


def install() -> None:
    """Serve ``torch`` from ember in this process (first on ``sys.meta_path``; idempotent)."""
    if not any(isinstance(f, TorchFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchFinder())
