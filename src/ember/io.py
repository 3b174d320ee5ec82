"""``ember.save`` / ``ember.load``: checkpoints as safetensors files, never pickle.

Tensors are stored as safetensors entries; the structure around them (dicts, lists, tuples, ints,
floats, strings, bools, None) is JSON in the file's metadata under the key ``"ember"``, with each
tensor referenced by its entry name. A flat state_dict (str -> Tensor) is stored under its own
keys, so the file is a plain safetensors file that ``safetensors.torch.load_file`` reads. Writes
are atomic: a killed run leaves either the old file or the new one.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from . import backend
from .tensor import Tensor

__all__ = ["CheckpointError", "atomic_write", "load", "save"]

_META_KEY = "ember"
_FORMAT_VERSION = 1
_FOREIGN_HINTS = {
    b"\x80": "a pickle (e.g. written by torch.save); ember never unpickles",
    b"PK": "a zip archive (e.g. written by torch.save); ember never unpickles",
}


class CheckpointError(ValueError):
    """A file that ``ember.load`` cannot read: truncated, corrupt or of another format."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"ember.load: {path}: {problem}")


# ---------------------------------------------------------------------------- atomic writes
def _fsync_dir(directory: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; write the file there. On success the temporary
    file is fsynced, renamed over ``path`` and the folder fsynced; on error it is removed."""
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    mode = os.stat(tmp).st_mode  # 0o666 less the umask, kept if a writer recreates the file
    try:
        yield tmp
        os.chmod(tmp, mode)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


# ---------------------------------------------------------------------------- encoding
class _Encoder:
    """Turns an object into a JSON-able tree plus a dict of named C-contiguous arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, obj: Any, path: str) -> Any:
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, (Tensor, np.ndarray)):
            return self._tensor(obj, path)
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return self.encode(obj.item(), path)
        if isinstance(obj, list):
            return [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {"dict": {k: self.encode(v, _join(path, k)) for k, v in obj.items()}}
            items = []
            for k, v in obj.items():
                if isinstance(k, (Tensor, np.ndarray)):
                    raise TypeError(f"ember.save: tensors cannot be dict keys (at {path or '.'})")
                items.append([self.encode(k, path), self.encode(v, _join(path, k))])
            return {"items": items}
        raise TypeError(
            f"ember.save: cannot save an object of type {type(obj).__name__} at {path or '.'}; "
            "supported are tensors, NumPy arrays, dicts, lists, tuples, int, float, str, bool, None"
        )

    def _tensor(self, obj: Tensor | np.ndarray, path: str) -> dict:
        key = "tensor" if isinstance(obj, Tensor) else "array"
        name = path or key
        while name in self.arrays:  # a dict key with a dot may repeat another path
            name += "_"
        data = obj._data if isinstance(obj, Tensor) else obj
        if data.dtype.kind not in "biuf":
            raise TypeError(f"ember.save: cannot save an array of dtype {data.dtype} at {name}")
        # safetensors writes wrong values for non-C-ordered arrays; ascontiguousarray makes 0-d 1-d
        self.arrays[name] = data if data.flags.c_contiguous else data.copy(order="C")
        if isinstance(obj, Tensor) and obj.requires_grad:
            return {key: name, "requires_grad": True}
        return {key: name}


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def save(obj: Any, f: str | os.PathLike) -> None:
    """Save tensors and plain Python structure to the safetensors file ``f`` (atomically).

    >>> import ember, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
    >>> ember.save({"w": ember.tensor([1.0, 2.0]), "epoch": 3}, path)
    >>> ember.load(path)["epoch"]
    3
    """
    encoder = _Encoder()
    tree = encoder.encode(obj, "")
    header = {"version": _FORMAT_VERSION, "tree": tree}
    metadata = {"format": "pt", _META_KEY: json.dumps(header, allow_nan=False)}
    with atomic_write(f) as tmp:
        save_file(encoder.arrays, tmp, metadata=metadata)


# ---------------------------------------------------------------------------- decoding
class _Decoder:
    """Rebuilds the saved object from its JSON tree and the file's arrays."""

    def __init__(self, path: str, arrays: dict[str, np.ndarray]) -> None:
        self.path = path
        self.arrays = arrays

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            raise self.error(f"unexpected node {node!r} in the structure")
        if "tensor" in node:
            return self._tensor(node["tensor"], bool(node.get("requires_grad")))
        if "array" in node:
            return self._array(node["array"])
        if "float" in node:
            return float(node["float"])
        if "tuple" in node:
            return tuple(self.decode(v) for v in node["tuple"])
        if "dict" in node:
            return {k: self.decode(v) for k, v in node["dict"].items()}
        if "items" in node:
            return {self.decode(k): self.decode(v) for k, v in node["items"]}
        raise self.error(f"unexpected node {node!r} in the structure")

    def _array(self, name: Any) -> np.ndarray:
        if name not in self.arrays:
            raise self.error(f"the structure refers to a tensor {name!r} that is not in the file")
        return self.arrays[name]

    def _tensor(self, name: str, requires_grad: bool) -> Tensor:
        array = self._array(name)
        if array.dtype not in backend.DTYPES:
            raise self.error(
                f"tensor {name!r} has dtype {array.dtype}, which ember does not support "
                f"({backend.dtype_names()})"
            )
        return Tensor._make(array, None, False).requires_grad_(requires_grad)

    def error(self, problem: str) -> CheckpointError:
        return CheckpointError(self.path, problem)


def _read(path: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """The metadata and arrays of a safetensors file, or a CheckpointError."""
    try:
        with safe_open(path, framework="numpy") as st:
            metadata = st.metadata() or {}
            arrays = {k: st.get_tensor(k) for k in st.keys()}  # noqa: SIM118 (not a dict)
    except (SafetensorError, ValueError, TypeError, OSError) as e:
        with open(path, "rb") as fh:
            head = fh.read(2)
        for magic, what in _FOREIGN_HINTS.items():
            if head.startswith(magic):
                raise CheckpointError(path, f"this is {what}; ember reads safetensors") from None
        raise CheckpointError(
            path, f"not a readable safetensors file (truncated, corrupt or another format): {e}"
        ) from None
    return metadata, arrays


def _check_location(map_location: Any) -> None:
    if map_location is None or callable(map_location):
        return
    locations = map_location.values() if isinstance(map_location, dict) else [map_location]
    for location in locations:
        try:
            backend.check_device(location)
        except AssertionError:
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() "
                "is False. ember runs on the CPU: use map_location='cpu' (or leave it out)."
            ) from None


def load(
    f: str | os.PathLike,
    map_location: str | dict | Callable | None = None,
    weights_only: bool = True,
) -> Any:
    """Load an object saved by ``ember.save`` (or any safetensors file, as a dict of tensors).

    ``map_location`` may name a device (only ``"cpu"`` exists). ``weights_only`` is accepted for
    PyTorch compatibility and changes nothing: loading never executes code.
    """
    del weights_only
    _check_location(map_location)
    path = os.fspath(f)
    metadata, arrays = _read(path)
    decoder = _Decoder(path, arrays)
    if _META_KEY not in metadata:
        return {name: decoder.decode({"tensor": name}) for name in arrays}
    try:
        header = json.loads(metadata[_META_KEY])
        version = header["version"]
    except (ValueError, TypeError, KeyError):
        raise decoder.error(f"the {_META_KEY!r} metadata is not a valid ember structure") from None
    if version != _FORMAT_VERSION:
        raise decoder.error(f"unknown format version {version!r} (a newer ember wrote it?)")
    try:
        return decoder.decode(header["tree"])
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise decoder.error(f"the {_META_KEY!r} metadata is malformed ({e!r})") from None
