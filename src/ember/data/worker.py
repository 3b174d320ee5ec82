"""What runs inside a DataLoader worker process, and how its batches travel.

A worker gets requests ``(task, request)`` on its own queue and answers ``(task, kind, payload)``
on the loader's shared queue. Batches travel as bytes in ember's safetensors format
(``ember.save``): tensors and arrays as arrays, the structure around them as JSON, so nothing a
worker sends is unpickled as code; namedtuples are rebuilt from classes already imported in the
receiving process. An exception travels as its class's module and name plus its traceback text.
"""

from __future__ import annotations

import io
import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..io import load, save
from .fetch import make_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

_PARENT_CHECK_S = 5.0  # how often an idle worker checks that its parent is alive
_info: WorkerInfo | None = None


class WorkerInfo:
    """About the current worker: ``id``, ``num_workers``, ``seed`` and its copy of ``dataset``."""

    __initialized = False

    def __init__(self, *, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset
        self.__initialized = True

    def __setattr__(self, key: str, value: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in ("id", "num_workers", "seed"))
        return f"WorkerInfo({fields}, dataset={type(self.dataset).__name__})"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's ``WorkerInfo`` inside a DataLoader worker process, None elsewhere."""
    return _info


def seed_worker(seed: int, worker_id: int) -> None:
    """Seed a worker's random sources from ``base_seed + worker_id``: ember's default generator
    and Python's ``random`` with it, NumPy's legacy global state with a stream derived from it."""
    random.seed(seed)
    backend.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, seed]).generate_state(4))


def worker_loop(
    dataset: Any,
    index_queue: Any,
    data_queue: Any,
    fetch_args: tuple[bool, Callable[[Any], Any], bool],
    seed: int,
    init_fn: Callable[[int], None] | None,
    worker_id: int,
    num_workers: int,
) -> None:
    """The body of a worker process: answer requests until told to stop (None) or orphaned."""
    global _info
    parent = os.getppid()
    try:
        seed_worker(seed, worker_id)
        _info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetch = make_fetcher(dataset, *fetch_args)
        except Exception as e:
            init_error = wrap_exception(e, worker_id)
        exhausted = False
        while True:
            try:
                message = index_queue.get(timeout=_PARENT_CHECK_S)
            except queue.Empty:
                if os.getppid() != parent:
                    return
                continue
            if message is None:  # stop; the loader no longer reads what is still queued
                data_queue.cancel_join_thread()
                return
            if message == "reset":  # a new epoch of persistent workers
                exhausted = False
                if init_error is None:
                    fetch = make_fetcher(dataset, *fetch_args)
                continue
            task, request = message
            if init_error is not None:
                data_queue.put((task, "error", init_error))
            elif not exhausted:  # an exhausted IterableDataset copy leaves later requests be
                kind, payload = _answer(fetch, request, worker_id)
                data_queue.put((task, kind, payload))
                exhausted = kind == "end"
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the loader handles it
        return


def _answer(fetch: Callable[[Any], Any], request: Any, worker_id: int) -> tuple[str, Any]:
    try:
        batch = fetch(request)
    except StopIteration:
        return "end", None
    except Exception as e:
        return "error", wrap_exception(e, worker_id)
    try:
        return "batch", encode(batch)
    except TypeError as e:
        return "error", wrap_exception(
            TypeError(f"a worker's batch travels in ember's checkpoint format: {e}"), worker_id
        )


# ---------------------------------------------------------------------------- transport
_NAMEDTUPLE = "__ember_namedtuple__"


def encode(batch: Any) -> bytes:
    """A batch as bytes of ember's checkpoint format."""
    buffer = io.BytesIO()
    save(_plain(batch), buffer)
    return buffer.getvalue()


def decode(payload: bytes) -> Any:
    return _rebuilt(load(io.BytesIO(payload)))


def _plain(obj: Any) -> Any:
    """``obj`` with namedtuples replaced by tagged dicts that ``_rebuilt`` turns back."""
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        cls = type(obj)
        return {_NAMEDTUPLE: f"{cls.__module__}:{cls.__qualname__}", "values": _plain(tuple(obj))}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj) if type(obj) in (list, tuple) else obj
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def _rebuilt(obj: Any) -> Any:
    if isinstance(obj, dict):
        if _NAMEDTUPLE in obj:
            cls = _imported(obj[_NAMEDTUPLE])
            values = _rebuilt(obj["values"])
            return cls(*values) if cls is not None else values
        return {k: _rebuilt(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_rebuilt(v) for v in obj)
    return obj


def _imported(name: str) -> Any:
    """A class already imported in this process (``module:qualname``), else None; never imports."""
    module_name, _, qualname = name.partition(":")
    value: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        value = getattr(value, part, None)
    return value if isinstance(value, type) else None


# ---------------------------------------------------------------------------- errors
def wrap_exception(error: BaseException, worker_id: int) -> tuple[str, str]:
    """An exception as ``(module:qualname of its class, the message the loader raises)``."""
    cls = type(error)
    text = "".join(traceback.format_exception(error))
    message = f"Caught {cls.__name__} in DataLoader worker process {worker_id}.\nOriginal {text}"
    return f"{cls.__module__}:{cls.__qualname__}", message


def reraise(wrapped: tuple[str, str]) -> None:
    """Raise a worker's exception in this process: its class when that class is imported here
    and takes a message, else ``RuntimeError``, with the worker's traceback text."""
    name, message = wrapped
    cls = _imported(name)
    if cls is not None and issubclass(cls, Exception):
        try:
            error = cls(message)
        except Exception:
            error = None
        if error is not None:
            raise error
    raise RuntimeError(message)
