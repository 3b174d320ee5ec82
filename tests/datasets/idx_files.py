"""Small generated IDX files for the dataset tests."""

from __future__ import annotations

import gzip
import os

import numpy as np

IDX_TYPES = {"u1": 0x08, "i1": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of ``array`` (big-endian); ``magic`` overrides the magic number."""
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if magic is None:
        magic = IDX_TYPES[dtype.str.lstrip("|")] << 8 | array.ndim
    dims = b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(dtype).tobytes()


def write(path: str | os.PathLike, content: bytes) -> str:
    """Write ``content``, gzip-compressed when ``path`` ends with ``.gz``."""
    path = os.fspath(path)
    with open(path, "wb") as f:
        f.write(gzip.compress(content) if path.endswith(".gz") else content)
    return path


def make_split(
    folder: str | os.PathLike, prefix: str, n: int, seed: int = 0, gz: bool = True, classes=10
) -> tuple[np.ndarray, np.ndarray]:
    """Write ``<prefix>-images-idx3-ubyte`` and labels with ``n`` random 28x28 samples."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, classes, size=n, dtype=np.uint8)
    os.makedirs(folder, exist_ok=True)
    ext = ".gz" if gz else ""
    write(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), idx_bytes(images))
    write(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), idx_bytes(labels))
    return images, labels


def make_dataset(folder: str | os.PathLike, seed: int = 0, gz: bool = True) -> dict:
    """Both splits (7 training, 3 test samples); returns {train: (images, labels)}."""
    return {
        True: make_split(folder, "train", 7, seed, gz),
        False: make_split(folder, "t10k", 3, seed + 1, gz),
    }
