"""The IDX reader: round trips and a clear error for every kind of broken file."""

import gzip

import numpy as np
import pytest

from ember.datasets import IDXError, read_idx, read_images, read_labels

from .idx_files import idx_bytes, write


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_images_round_trip_raw_and_gzip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    out = read_images(write(tmp_path / name, idx_bytes(images)))
    assert out.dtype == np.uint8 and out.shape == (4, 28, 28)
    np.testing.assert_array_equal(out, images)
    out[0, 0, 0] = 1  # a writable array, not a view of the file's bytes


def test_labels_round_trip(tmp_path):
    labels = np.array([3, 0, 9, 1], dtype=np.uint8)
    np.testing.assert_array_equal(read_labels(write(tmp_path / "l.gz", idx_bytes(labels))), labels)


@pytest.mark.parametrize("dtype", ["i1", ">i2", ">i4", ">f4", ">f8"])
def test_other_value_types_come_back_in_native_order(tmp_path, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    out = read_idx(write(tmp_path / "x", idx_bytes(array)))
    assert out.dtype.isnative and out.dtype.kind == np.dtype(dtype).kind
    np.testing.assert_array_equal(out, array)


def test_empty_split_reads(tmp_path):
    out = read_images(write(tmp_path / "x", idx_bytes(np.zeros((0, 28, 28), np.uint8))))
    assert out.shape == (0, 28, 28)


def test_labels_file_read_as_images_names_the_magic_numbers(tmp_path):
    path = write(tmp_path / "labels.gz", idx_bytes(np.zeros(3, np.uint8)))
    expected = r"labels\.gz: bad magic number 0x00000801, expected 0x00000803"
    with pytest.raises(IDXError, match=expected):
        read_images(path)


@pytest.mark.parametrize(
    "content",
    [b"hello, not an IDX file", b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", b"\x01\x00\x08\x01"],
)
def test_foreign_content_is_not_an_idx_file(tmp_path, content):
    path = write(tmp_path / "foreign", content)
    with pytest.raises(IDXError, match=r"foreign: bad magic number .*not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("name", ["x", "x.gz"])
def test_truncated_data_is_reported(tmp_path, name):
    content = idx_bytes(np.ones((5, 28, 28), np.uint8))
    path = write(tmp_path / name, content[:-100])
    with pytest.raises(IDXError, match=r"truncated: shape \(5, 28, 28\) of uint8 needs 3936 bytes"):
        read_images(path)


def test_truncated_header_and_too_short_file(tmp_path):
    content = idx_bytes(np.ones((5, 28, 28), np.uint8))
    with pytest.raises(IDXError, match="truncated header"):
        read_images(write(tmp_path / "a", content[:9]))
    with pytest.raises(IDXError, match="too short"):
        read_images(write(tmp_path / "b", b"\x00\x00"))
    with pytest.raises(IDXError, match="too short"):
        read_images(write(tmp_path / "c", b""))


def test_trailing_bytes_are_reported(tmp_path):
    content = idx_bytes(np.ones(5, np.uint8)) + b"\x00"
    with pytest.raises(IDXError, match="trailing bytes"):
        read_labels(write(tmp_path / "x", content))


def test_huge_claimed_size_fails_cleanly(tmp_path):
    header = (0x0803).to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big") * 3
    with pytest.raises(IDXError, match="truncated"):
        read_images(write(tmp_path / "x", header + b"\x00" * 10))


def test_broken_gzip_streams(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(IDXError, match=r"cut\.gz: broken gzip stream"):
        read_labels(cut)
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    bad = tmp_path / "bad.gz"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(IDXError, match=r"bad\.gz: broken gzip stream"):
        read_labels(bad)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        read_images(tmp_path / "nothing-here")
