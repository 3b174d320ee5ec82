"""Fetch a file over HTTP(S), check its MD5 before use, and write it atomically."""

from __future__ import annotations

import hashlib
import os
import shutil

from ..io import atomic_write

__all__ = ["download_file", "md5sum"]

_CHUNK = 1 << 20


def md5sum(path: str | os.PathLike) -> str:
    """The hex MD5 digest of a file's content."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, path: str | os.PathLike, md5: str, timeout: float = 60.0) -> None:
    """Download ``url`` to ``path`` unless a file with checksum ``md5`` is already there.

    The content goes to a temporary file beside ``path`` and replaces it only once its MD5 matches,
    so ``path`` never holds a partial or wrong download. Raises ``RuntimeError`` on a mismatch.
    """
    import urllib.request  # costs ~60 ms, so only when a download happens

    if os.path.isfile(path) and md5sum(path) == md5:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_write(path) as tmp:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)
        got = md5sum(tmp)
        if got != md5:
            raise RuntimeError(
                f"download of {url} failed its checksum: MD5 {got}, expected {md5}; "
                f"{path} was left unchanged"
            )
