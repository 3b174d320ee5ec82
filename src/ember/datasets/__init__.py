"""Datasets read from their original files: MNIST and Fashion-MNIST (IDX format)."""

from .idx import IDXError, read_idx, read_images, read_labels
from .mnist import MNIST, FashionMNIST

__all__ = ["MNIST", "FashionMNIST", "IDXError", "read_idx", "read_images", "read_labels"]
