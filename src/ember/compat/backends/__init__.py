"""``ember.backends``: PyTorch's backend switches, as they read on a CPU-only machine. The
settable flags are kept (scripts set them) and change nothing: ember computes with NumPy."""

from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
