"""``ember.save`` / ``ember.load``: checkpoints as safetensors files, never pickle.

Tensors are stored as safetensors entries; the structure around them (dicts, lists, tuples, ints,
floats, strings, bools, None, dtypes) is JSON in the file's metadata under the key ``"ember"``,
with each tensor referenced by its entry name. A flat state_dict (str -> Tensor) is stored under
its own keys, so the file is a plain safetensors file that ``safetensors.torch.load_file`` reads.
``f`` is a path, an ``os.PathLike`` or a binary file object; the bytes are the same either way.
Writes to a path are atomic: a killed run leaves either the old file or the new one. A CRC-32 of
the structure and of every tensor's name, dtype, shape and bytes is saved beside them, so that
``load`` of a damaged file raises ``CheckpointError`` instead of returning other values.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import secrets
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

import numpy as np

from . import backend, dtypes
from .tensor import Tensor

__all__ = ["CheckpointError", "atomic_write", "load", "save"]

FileLike = str | os.PathLike | IO[bytes]

_META_KEY = "ember"
_DIGEST_KEY = "ember_crc32"
_FORMAT_VERSION = 2  # 2 adds the CRC-32; files of version 1 (without it) still load
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
    try:  # from the file's creation on: an interrupt anywhere leaves no temporary file behind
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        mode = os.stat(tmp).st_mode  # 0o666 less the umask, kept if a writer recreates the file
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


def remove_stale_temporaries(folder: str | os.PathLike, names: Iterable[str]) -> list[str]:
    """Delete the temporary files that ``atomic_write`` of ``folder/NAME`` left when its process
    was killed (SIGKILL, power loss); returns their paths. Call it before writing there again."""
    removed = []
    for name in names:
        pattern = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{12}}\.tmp")
        for entry in os.scandir(folder):
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(entry.path)
    return removed


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
        if isinstance(obj, (dtypes.dtype, np.dtype)) and obj in backend.DTYPES:
            return {"dtype": str(np.dtype(obj))}
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
            "supported are tensors, NumPy arrays, dicts, lists, tuples, int, float, str, bool, "
            "None and dtypes (ember never pickles)"
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


def save(obj: Any, f: FileLike, pickle_module: Any = None, pickle_protocol: int = 2) -> None:
    """Save tensors and plain Python structure to ``f``: a path (written atomically), an
    ``os.PathLike`` or a binary file object such as ``io.BytesIO`` or ``open(path, "wb")``.

    Anything outside tensors, NumPy arrays, dicts, lists, tuples, numbers, strings, None and
    dtypes is refused with a ``TypeError`` naming its type and place: nothing is ever pickled, so
    ``pickle_module`` must stay None (``pickle_protocol`` is accepted and unused).

    >>> import ember, io
    >>> buffer = io.BytesIO()
    >>> ember.save({"w": ember.tensor([1.0, 2.0]), "epoch": 3}, buffer)
    >>> _ = buffer.seek(0)
    >>> ember.load(buffer)["epoch"]
    3
    """
    del pickle_protocol
    if pickle_module is not None:
        raise ValueError("ember.save never pickles: pickle_module must be None")
    encoder = _Encoder()
    tree = encoder.encode(obj, "")
    header = json.dumps({"version": _FORMAT_VERSION, "tree": tree}, allow_nan=False)
    metadata = {
        "format": "pt",
        _META_KEY: header,
        _DIGEST_KEY: _digest(header, encoder.arrays),
    }
    # safetensors loads on first use (under 1 MiB resident)
    from safetensors.numpy import save as save_bytes
    from safetensors.numpy import save_file

    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as tmp:
            save_file(encoder.arrays, tmp, metadata=metadata)
    elif callable(getattr(f, "write", None)):
        f.write(save_bytes(encoder.arrays, metadata=metadata))
    else:
        raise TypeError(
            f"ember.save: f must be a path or a binary file object, but got {type(f).__name__}"
        )


def _digest(header: str, arrays: dict[str, np.ndarray]) -> str:
    """CRC-32 of the structure and of each tensor's name, dtype, shape and little-endian bytes."""
    crc = zlib.crc32(header.encode())
    for name in sorted(arrays):
        a = arrays[name]
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        crc = zlib.crc32(f"\0{name}\0{a.dtype.name}\0{a.shape}\0".encode(), crc)
        crc = zlib.crc32(np.ascontiguousarray(a).reshape(-1).view(np.uint8), crc)
    return f"{crc:08x}"


# ---------------------------------------------------------------------------- decoding
class _Decoder:
    """Rebuilds the saved object from its JSON tree and the file's arrays."""

    def __init__(
        self, path: str, arrays: dict[str, np.ndarray], relocate: Callable | None = None
    ) -> None:
        self.path = path
        self.arrays = arrays
        self.relocate = relocate  # a callable map_location, given (tensor, "cpu") per tensor

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
        if "dtype" in node:
            return dtypes.from_numpy(backend.as_dtype(node["dtype"]))
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
        if requires_grad and array.dtype.kind != "f":
            raise self.error(f"tensor {name!r} of dtype {array.dtype} cannot require grad")
        tensor = Tensor._make(array, None, False).requires_grad_(requires_grad)
        if self.relocate is None:
            return tensor
        moved = self.relocate(tensor, "cpu")
        return tensor if moved is None else moved

    def error(self, problem: str) -> CheckpointError:
        return CheckpointError(self.path, problem)


def _check_regular(path: str) -> None:
    """Refuse, before opening it, what is not a regular file (a FIFO would block forever)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:  # missing, a symlink loop, no permission: named with the path
        raise type(e)(e.errno, f"ember.load: {e.strerror}", path) from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "ember.load: a folder, not a checkpoint", path)
    if not stat.S_ISREG(mode):
        kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
        raise CheckpointError(path, f"a {kind}, not a regular file: ember.load reads files only")


def _read(path: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """The metadata and arrays of a safetensors file, or a CheckpointError."""
    from safetensors import SafetensorError, safe_open

    _check_regular(path)
    try:
        with safe_open(path, framework="numpy") as st:
            metadata = st.metadata() or {}
            arrays = {k: st.get_tensor(k) for k in st.keys()}  # noqa: SIM118 (not a dict)
    except (SafetensorError, ValueError, TypeError, OSError) as e:
        with open(path, "rb") as fh:
            head = fh.read(2)
        raise _unreadable(path, head, e) from None
    return metadata, arrays


def _read_bytes(data: bytes, name: str) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """The metadata and arrays of a safetensors file's bytes, or a CheckpointError."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        arrays = load(data)  # checks the whole layout first
        size = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8 : 8 + size]).get("__metadata__") or {}
    except (SafetensorError, ValueError, TypeError, AttributeError, RecursionError) as e:
        raise _unreadable(name, data[:2], e) from None
    return metadata, arrays


def _unreadable(name: str, head: bytes, error: Exception) -> CheckpointError:
    for magic, what in _FOREIGN_HINTS.items():
        if head.startswith(magic):
            return CheckpointError(name, f"this is {what}; ember reads safetensors")
    return CheckpointError(
        name, f"not a readable safetensors file (truncated, corrupt or another format): {error}"
    )


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
    f: FileLike,
    map_location: str | dict | Callable | None = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
) -> Any:
    """Load an object saved by ``ember.save`` (or any safetensors file, as a dict of tensors) from
    a path, an ``os.PathLike`` or a binary file object (read from its current position).

    ``weights_only`` is PyTorch 2.13's switch, True by default (None means True). Loading never
    unpickles, so ``weights_only=False`` loads the same objects and still refuses a pickle file
    (``CheckpointError``); with ``pickle_module`` given it must be False, as in PyTorch.
    ``map_location`` may be a device (``"cpu"``; an accelerator fails as in a CPU-only PyTorch),
    a dict of saved to new locations, or a callable ``fn(tensor, "cpu")`` applied to every loaded
    tensor (None keeps it).
    """
    if pickle_module is not None and weights_only is not False:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    _check_location(map_location)
    relocate = map_location if callable(map_location) else None
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        metadata, arrays = _read(path)
    elif callable(getattr(f, "read", None)):
        path = str(getattr(f, "name", f"<{type(f).__name__}>"))
        metadata, arrays = _read_bytes(f.read(), path)
    else:
        raise TypeError(
            f"ember.load: f must be a path or a binary file object, but got {type(f).__name__}"
        )
    decoder = _Decoder(path, arrays, relocate)
    if _META_KEY not in metadata:
        if _DIGEST_KEY in metadata:
            raise decoder.error(f"the checksum is there but the {_META_KEY!r} structure is not")
        return {name: decoder.decode({"tensor": name}) for name in arrays}
    text = metadata[_META_KEY]
    digest = metadata.get(_DIGEST_KEY)
    if digest is not None and (not isinstance(text, str) or digest != _digest(text, arrays)):
        raise decoder.error("the file is damaged: its contents do not match their CRC-32")
    try:
        header = json.loads(text)
        version = header["version"]
    except (ValueError, TypeError, KeyError, RecursionError):
        raise decoder.error(f"the {_META_KEY!r} metadata is not a valid ember structure") from None
    if version not in (1, _FORMAT_VERSION):
        raise decoder.error(f"unknown format version {version!r} (a newer ember wrote it?)")
    if version == _FORMAT_VERSION and digest is None:
        raise decoder.error(f"the file is damaged: its {_DIGEST_KEY!r} checksum is missing")
    try:
        return decoder.decode(header["tree"])
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as e:
        raise decoder.error(
            f"the {_META_KEY!r} metadata is malformed ({type(e).__name__})"
        ) from None
