"""MNIST / Fashion-MNIST: finding, loading, indexing, batching, errors and downloads."""

import functools
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

import ember
from ember.datasets import MNIST, FashionMNIST, IDXError
from ember.datasets.download import download_file

from .idx_files import idx_bytes, make_dataset, make_split, write

REAL = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test sees the real ~/.cache/ember, $EMBER_DATA or system folders."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "system"),))


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
@pytest.mark.parametrize("train", [True, False])
def test_loads_split_from_root_folder(tmp_path, cls, train):
    arrays = make_dataset(tmp_path / cls.folder)
    images, labels = arrays[train]
    ds = cls(root=tmp_path, train=train)
    assert len(ds) == len(images)
    assert ds.data.dtype == np.uint8 and ds.data.shape == (len(images), 28, 28)
    np.testing.assert_array_equal(ds.data, images)
    assert isinstance(ds.targets, ember.Tensor) and ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[3]] == 3


def test_item_is_float_image_and_int_label(tmp_path):
    images, labels = make_dataset(tmp_path)[True]
    ds = FashionMNIST(root=tmp_path)  # files directly in root
    image, label = ds[2]
    assert isinstance(image, ember.Tensor) and image.dtype == ember.float32
    assert image.shape == (1, 28, 28) and not image.requires_grad
    np.testing.assert_array_equal(image.numpy()[0], images[2].astype(np.float32) / np.float32(255))
    assert type(label) is int and label == labels[2]
    assert ds[-1][1] == labels[-1]
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(TypeError):
        ds[1.5]


def test_pixel_values_match_torch(tmp_path):
    torch = pytest.importorskip("torch")
    images, _ = make_dataset(tmp_path)[True]
    ds = FashionMNIST(root=tmp_path)
    expected = torch.from_numpy(images).float().div(255).unsqueeze(1).numpy()
    np.testing.assert_array_equal(ds.__getitems__(range(len(ds)))[0].numpy(), expected)


def test_getitems_is_one_batch(tmp_path):
    _, labels = make_dataset(tmp_path)[True]
    ds = MNIST(root=tmp_path)
    x, y = ds.__getitems__([4, 0, -1, 4])
    assert x.shape == (4, 1, 28, 28) and x.dtype == ember.float32
    assert y.dtype == ember.int64 and y.tolist() == [int(labels[i]) for i in (4, 0, -1, 4)]
    for row, i in zip(x.numpy(), [4, 0, -1, 4]):
        np.testing.assert_array_equal(row, ds[i][0].numpy())
    assert ds.__getitems__([])[0].shape == (0, 1, 28, 28)


def test_transforms_apply_to_items_and_batches(tmp_path):
    _, labels = make_dataset(tmp_path)[True]
    ds = FashionMNIST(
        root=tmp_path,
        transform=lambda img: img.reshape(784),
        target_transform=lambda y: y + 100,
    )
    image, label = ds[1]
    assert image.shape == (784,) and label == labels[1] + 100
    x, y = ds.__getitems__([1, 2])
    assert x.shape == (2, 784) and x.dtype == ember.float32
    assert y.tolist() == [labels[1] + 100, labels[2] + 100]


def test_raw_and_gzip_files_mix_and_raw_is_preferred(tmp_path):
    images, labels = make_split(tmp_path, "train", 5, seed=2, gz=True)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels))
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    ds = MNIST(root=tmp_path)
    assert ds.paths == (
        str(tmp_path / "train-images-idx3-ubyte.gz"),
        str(tmp_path / "train-labels-idx1-ubyte"),
    )
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(images))
    assert MNIST(root=tmp_path).paths[0] == str(tmp_path / "train-images-idx3-ubyte")


def test_search_order_ember_data_then_cache_then_system(tmp_path, monkeypatch):
    system = tmp_path / "system"
    cache = tmp_path / "home" / ".cache" / "ember" / "fashion-mnist"
    env = tmp_path / "env"
    make_split(system, "train", 2)
    assert len(FashionMNIST()) == 2
    make_split(cache, "train", 3)
    assert len(FashionMNIST()) == 3
    make_split(env / "fashion-mnist", "train", 4)
    monkeypatch.setenv("EMBER_DATA", str(env))
    assert len(FashionMNIST()) == 4
    assert FashionMNIST().search_dirs() == [str(env / "fashion-mnist"), str(cache), str(system)]
    assert "fashion-mnist" in repr(FashionMNIST()) and "Train" in repr(FashionMNIST())


def test_missing_files_list_paths_and_remedies(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "env"))
    make_split(tmp_path / "system", "t10k", 2)  # the other split does not count
    with pytest.raises(FileNotFoundError) as info:
        FashionMNIST(train=True)
    message = str(info.value)
    for text in [
        "train-images-idx3-ubyte",
        str(tmp_path / "env" / "fashion-mnist"),
        str(tmp_path / "home" / ".cache" / "ember" / "fashion-mnist"),
        str(tmp_path / "system"),
        "apt-get install dataset-fashion-mnist",
        "$EMBER_DATA",
        "download=True",
    ]:
        assert text in message
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        MNIST(root=tmp_path / "nowhere")
    assert "apt-get" not in str(info.value)


def test_half_present_folder_is_skipped(tmp_path):
    make_split(tmp_path / "a", "train", 2)
    (tmp_path / "a" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError):
        MNIST(root=tmp_path / "a")


def test_count_mismatch_names_both_files(tmp_path):
    make_split(tmp_path, "train", 4)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(IDXError, match=r"labels-idx1-ubyte\.gz: 3 labels for 4 images in .*images"):
        MNIST(root=tmp_path)


def test_label_out_of_range(tmp_path):
    make_split(tmp_path, "train", 4, classes=12)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.array([0, 11, 2, 3], np.uint8)))
    with pytest.raises(IDXError, match="label 11 out of range for 10 classes"):
        FashionMNIST(root=tmp_path)


def test_corrupt_file_raises_from_constructor(tmp_path):
    make_split(tmp_path, "train", 4)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz"):
        MNIST(root=tmp_path)


# ---------------------------------------------------------------------------- download
@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served; yields (base URL, request paths)."""
    served = tmp_path / "served"
    served.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    handler = functools.partial(Handler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", served, requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def mirror(server, monkeypatch):
    """Generated Fashion-MNIST files behind the local server, with their checksums."""
    base, served, requests = server
    arrays = make_dataset(served)
    resources = tuple(
        (name, hashlib.md5((served / name).read_bytes()).hexdigest())
        for name, _ in FashionMNIST.resources
    )
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    monkeypatch.setattr(FashionMNIST, "mirrors", (base + "missing/", base))
    return arrays, requests


def test_download_fetches_verifies_and_loads(tmp_path, mirror):
    arrays, requests = mirror
    ds = FashionMNIST(root=tmp_path / "data", train=False, download=True)
    np.testing.assert_array_equal(ds.data, arrays[False][0])
    folder = tmp_path / "data" / "fashion-mnist"
    assert sorted(os.listdir(folder)) == sorted(name for name, _ in FashionMNIST.resources)
    assert any(r.startswith("/missing/") for r in requests)  # the first mirror 404s
    fetched = len(requests)
    FashionMNIST(root=tmp_path / "data", train=True, download=True)
    assert len(requests) == fetched  # present files are not fetched again


def test_download_into_cache_when_root_is_none(tmp_path, mirror):
    arrays, _ = mirror
    ds = FashionMNIST(download=True)
    assert ds.paths[0].startswith(str(tmp_path / "home" / ".cache" / "ember" / "fashion-mnist"))
    np.testing.assert_array_equal(ds.targets.numpy(), arrays[True][1])


def test_download_file_replaces_a_file_with_wrong_checksum(tmp_path, server):
    base, served, requests = server
    (served / "f").write_bytes(b"fresh")
    stale = tmp_path / "f"
    stale.write_bytes(b"stale")
    download_file(base + "f", stale, hashlib.md5(b"fresh").hexdigest())
    assert stale.read_bytes() == b"fresh" and requests == ["/f"]
    download_file(base + "f", stale, hashlib.md5(b"fresh").hexdigest())
    assert requests == ["/f"]


def test_checksum_mismatch_leaves_nothing_behind(tmp_path, mirror, monkeypatch):
    resources = [(name, "0" * 32) for name, _ in FashionMNIST.resources]
    monkeypatch.setattr(FashionMNIST, "resources", resources)
    expected = r"train-images-idx3-ubyte\.gz.*checksum.*expected 0{32}"
    with pytest.raises(RuntimeError, match=expected):
        FashionMNIST(root=tmp_path, download=True)
    assert os.listdir(tmp_path / "fashion-mnist") == []


# ---------------------------------------------------------------------------- the real files
@pytest.mark.skipif(not os.path.isdir(REAL), reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", (REAL,))
    train, test = FashionMNIST(train=True), FashionMNIST(root=REAL, train=False)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == np.uint8 and train.targets.dtype == ember.int64
    for ds in (train, test):
        assert np.bincount(ds.targets.numpy()).tolist() == [len(ds) // 10] * 10
    image, label = test[0]
    assert image.shape == (1, 28, 28) and 0 <= image.numpy().min() < image.numpy().max() <= 1
    assert label == 9  # the first test image is an ankle boot
