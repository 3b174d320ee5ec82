"""Malformed, damaged and special files: ``ember.load`` returns what was saved or raises
``CheckpointError`` (missing paths and folders raise the OSError PyTorch raises, naming the path);
it never blocks, recurses out of the stack, or returns altered values."""

from __future__ import annotations

import io
import json
import os
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

import ember
from ember.io import CheckpointError, atomic_write

OBJ = {
    "model": {"w": ember.arange(6, dtype=ember.float32).reshape(2, 3), "b": ember.zeros(3)},
    "steps": ember.tensor([3, 1, 4]),
    "mask": ember.tensor([True, False]),
    "epoch": 7,
    "lr": 0.5,
    "name": "run",
    "history": [{"loss": 1.25}, None, (1, "two")],
}


def _valid_bytes() -> bytes:
    buffer = io.BytesIO()
    ember.save(OBJ, buffer)
    return buffer.getvalue()


VALID = _valid_bytes()
HEADER_END = 8 + int.from_bytes(VALID[:8], "little")


def _same(a, b) -> bool:
    if isinstance(a, ember.Tensor):
        return (
            isinstance(b, ember.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.requires_grad == b.requires_grad
            and np.array_equal(a.numpy(), b.numpy())
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


def _mutate(data: bytes, kind: str, at: int, blob: bytes) -> bytes:
    at %= len(data) + 1
    if kind == "replace":
        return data[:at] + blob + data[at + len(blob) :]
    if kind == "insert":
        return data[:at] + blob + data[at:]
    if kind == "delete":
        return data[:at] + data[at + len(blob) :]
    return data[:at]  # truncate


MUTATION = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "truncate"]),
    st.one_of(st.integers(0, HEADER_END), st.integers(0, len(VALID))),  # header, or anywhere
    st.binary(min_size=1, max_size=6),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutation=MUTATION)
def test_a_damaged_file_loads_as_saved_or_raises_checkpoint_error(mutation, tmp_path):
    data = _mutate(VALID, *mutation)
    path = tmp_path / "fuzzed.safetensors"
    path.write_bytes(data)
    for source in (path, io.BytesIO(data)):
        try:
            loaded = ember.load(source)
        except CheckpointError:
            continue
        assert _same(OBJ, loaded), mutation


def test_the_unmutated_file_loads_as_saved():
    assert _same(OBJ, ember.load(io.BytesIO(VALID)))


def test_changed_tensor_bytes_or_dtype_are_detected(tmp_path):
    at = len(VALID) - 3  # inside the last tensor's bytes
    flipped = VALID[:at] + bytes([VALID[at] ^ 1]) + VALID[at + 1 :]
    with pytest.raises(CheckpointError, match="do not match their CRC-32"):
        ember.load(io.BytesIO(flipped))
    retyped = VALID.replace(b'"dtype":"I64"', b'"dtype":"F64"', 1)
    assert retyped != VALID
    with pytest.raises(CheckpointError):
        ember.load(io.BytesIO(retyped))


def _with_metadata(path, text):
    save_file({"a": np.zeros(2, np.int64)}, str(path), metadata={"ember": text})
    return path


def test_recursion_deep_metadata_raises_checkpoint_error(tmp_path):
    deep = '{"version": 1, "tree": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(CheckpointError, match="not a valid ember structure"):
        ember.load(_with_metadata(tmp_path / "deep.safetensors", deep))
    nested = json.dumps({"version": 1, "tree": {"tensor": "a", "requires_grad": True}})
    with pytest.raises(CheckpointError, match="cannot require grad"):
        ember.load(_with_metadata(tmp_path / "int.safetensors", nested))


def test_version_2_without_its_checksum_is_refused(tmp_path):
    text = json.dumps({"version": 2, "tree": {"tensor": "a"}})
    with pytest.raises(CheckpointError, match="checksum is missing"):
        ember.load(_with_metadata(tmp_path / "v2.safetensors", text))


def _load_in_thread(path):
    """ember.load(path) in a daemon thread: (finished within 10 s, the exception)."""
    result: list = []

    def run():
        try:
            ember.load(path)
        except Exception as e:  # handed to the test
            result.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    done = not thread.is_alive()
    if not done and os.path.exists(path) and not str(path).startswith("/dev/"):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # a writer ends a blocked read
    return done, (result or [None])[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_device_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done, error = _load_in_thread(fifo)
    assert done and isinstance(error, CheckpointError) and "FIFO" in str(error)
    if os.path.exists("/dev/zero"):
        done, error = _load_in_thread("/dev/zero")
        assert done and isinstance(error, CheckpointError) and "device" in str(error)


def test_missing_paths_folders_and_symlink_loops_are_named(tmp_path):
    missing = tmp_path / "missing.safetensors"
    with pytest.raises(FileNotFoundError, match=r"missing\.safetensors"):
        ember.load(missing)
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        ember.load(tmp_path)
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    with pytest.raises(OSError, match="loop"):
        ember.load(loop)


def test_atomic_write_leaves_no_temporary_file_when_interrupted_while_creating_it(
    tmp_path, monkeypatch
):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "stat", interrupted)  # right after the temporary file is created
    with pytest.raises(KeyboardInterrupt), atomic_write(tmp_path / "out.bin"):
        pass
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
