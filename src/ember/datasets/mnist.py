"""MNIST and Fashion-MNIST, read from their four IDX files (PyTorch's ``torchvision`` API)."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .download import download_file
from .idx import IDXError, read_images, read_labels

__all__ = ["MNIST", "FashionMNIST"]

CACHE_DIR = os.path.join("~", ".cache", "ember")


def _to_float(images: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1], the same values as PyTorch's ``x.float() / 255``."""
    return np.divide(images, np.float32(255), dtype=np.float32)


class MNIST:
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels.

    ``dataset[i]`` is ``(image, label)``: a float32 Tensor of shape (1, 28, 28) in [0, 1] (what
    ``transform`` receives) and a Python int. ``data`` holds all images (uint8 array, (N, 28, 28)),
    ``targets`` all labels (int64 Tensor, (N,)).

    With ``root=None`` the files are looked for in ``$EMBER_DATA/<folder>``,
    ``~/.cache/ember/<folder>`` and the system folders; with a ``root``, in ``root/<folder>`` and
    ``root``. ``download=True`` fetches missing files into ``~/.cache/ember/<folder>`` (or
    ``root/<folder>``) and checks their MD5 sums first.
    """

    folder = "mnist"
    mirrors: Sequence[str] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    resources: Sequence[tuple[str, str]] = (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    )
    system_dirs: Sequence[str] = ()
    package: str | None = None  # the Debian package that installs the files into system_dirs
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        self.root = None if root is None else os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        files = self._find()
        if files is None and download:
            self.download()
            files = self._find()
        if files is None:
            raise FileNotFoundError(self._not_found_message())
        self.paths = files
        self.data, self._targets = self._load(*files)
        self.targets = Tensor._make(self._targets, None, False)

    # ------------------------------------------------------------------ files
    @property
    def file_names(self) -> tuple[str, str]:
        """The image and label file names of this split, without ``.gz``."""
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def search_dirs(self) -> list[str]:
        """The folders looked in, in order."""
        if self.root is not None:
            return [os.path.join(self.root, self.folder), self.root]
        dirs = []
        if os.environ.get("EMBER_DATA"):
            dirs.append(os.path.join(os.path.expanduser(os.environ["EMBER_DATA"]), self.folder))
        dirs.append(self.download_dir)
        return dirs + list(self.system_dirs)

    @property
    def download_dir(self) -> str:
        return os.path.join(self.root or os.path.expanduser(CACHE_DIR), self.folder)

    def _find(self) -> tuple[str, str] | None:
        """The image and label paths from the first folder that has both (raw or ``.gz``)."""
        for directory in self.search_dirs():
            found = []
            for name in self.file_names:
                path = os.path.join(directory, name)
                found += [p for p in (path, path + ".gz") if os.path.isfile(p)][:1]
            if len(found) == 2:
                return found[0], found[1]
        return None

    def _not_found_message(self) -> str:
        images, labels = self.file_names
        tried = "".join(f"\n  {d}" for d in self.search_dirs())
        ways = []
        if self.package:
            ways.append(f"install the package: apt-get install {self.package}")
        ways.append(f"put the files in a folder $EMBER_DATA/{self.folder} and set EMBER_DATA")
        ways.append(f"pass download=True to fetch them into {self.download_dir}")
        return (
            f"{type(self).__name__}: {images}[.gz] and {labels}[.gz] were not found. "
            f"Looked in:{tried}\nTo get them:" + "".join(f"\n  - {w}" for w in ways)
        )

    def download(self) -> None:
        """Fetch the four files into ``download_dir``, trying each mirror in turn."""
        for name, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                url = mirror + name
                try:
                    download_file(url, os.path.join(self.download_dir, name), md5)
                    break
                except (OSError, RuntimeError) as e:  # URLError is an OSError
                    errors.append(f"\n  {url}: {e}")
            else:
                raise RuntimeError(
                    f"{type(self).__name__}: could not download {name}:{''.join(errors)}"
                )

    def _load(self, images_path: str, labels_path: str) -> tuple[np.ndarray, np.ndarray]:
        images, labels = read_images(images_path), read_labels(labels_path)
        if len(images) != len(labels):
            raise IDXError(
                labels_path, f"{len(labels)} labels for {len(images)} images in {images_path}"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise IDXError(
                labels_path,
                f"label {labels.max()} out of range for {len(self.classes)} classes",
            )
        return images, labels.astype(np.int64)

    # ------------------------------------------------------------------ dataset protocol
    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = operator.index(index)
        image: Any = Tensor._make(_to_float(self.data[index])[None], None, False)
        target: Any = int(self._targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: Sequence[int]) -> tuple[Tensor, Tensor]:
        """A batch by one fancy index: images float32 (B, 1, 28, 28), labels int64 (B,).

        With a transform, each sample is transformed and the results are stacked.
        """
        index = np.asarray(indices, dtype=np.intp).reshape(-1)
        if self.transform is None and self.target_transform is None:
            images = _to_float(self.data[index])[:, None]
            return Tensor._make(images, None, False), Tensor._make(
                self._targets[index], None, False
            )
        samples = [self[i] for i in index]
        images = np.stack([np.asarray(image) for image, _ in samples])
        return Tensor._make(images, None, False), Tensor(np.array([t for _, t in samples]))

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Location: {os.path.dirname(self.paths[0])}\n"
            f"    Split: {'Train' if self.train else 'Test'}"
        )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of clothing in 10 classes (MNIST's layout)."""

    folder = "fashion-mnist"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    resources = (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    )
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    package = "dataset-fashion-mnist"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
