"""Reader for the IDX format of MNIST-style datasets, gzip-compressed or raw.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values in C order. Images are ``0x00000803`` (uint8, 3
dims), labels ``0x00000801`` (uint8, 1 dim).
"""

from __future__ import annotations

import gzip
import os
import zlib

import numpy as np

__all__ = ["IDXError", "read_idx", "read_images", "read_labels"]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

_GZIP_MAGIC = b"\x1f\x8b"
_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """An IDX file is missing, corrupt or of the wrong kind; the message names the file."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: {problem}")


def _read_bytes(path: str | os.PathLike) -> bytes:
    """The file's whole (decompressed) content; gzip is recognised by its magic bytes."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(path, f"broken gzip stream ({e or type(e).__name__})") from None


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """The array stored in an IDX file (native byte order, writable).

    ``magic``, when given, is the magic number the file must have (e.g. ``IMAGES_MAGIC``).
    Raises ``IDXError`` naming the file for a bad magic number, a truncated file or trailing bytes.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXError(path, f"too short for an IDX header ({len(data)} bytes)")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        raise IDXError(path, f"bad magic number 0x{found:08X}, expected 0x{magic:08X}")
    type_code, ndim = data[2], data[3]
    if data[:2] != b"\0\0" or type_code not in _TYPES:
        raise IDXError(path, f"bad magic number 0x{found:08X}: not an IDX file")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXError(path, f"truncated header: {ndim} dimensions need {header} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _TYPES[type_code]
    expected = header + int(np.prod(shape, dtype=object)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "trailing bytes"
        raise IDXError(
            path, f"{kind}: shape {shape} of {dtype.name} needs {expected} bytes, got {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_images(path: str | os.PathLike) -> np.ndarray:
    """A uint8 array of shape (N, H, W) from an ``idx3-ubyte`` image file."""
    return read_idx(path, IMAGES_MAGIC)


def read_labels(path: str | os.PathLike) -> np.ndarray:
    """A uint8 array of shape (N,) from an ``idx1-ubyte`` label file."""
    return read_idx(path, LABELS_MAGIC)
