"""``ember.linalg``: PyTorch's ``torch.linalg`` functions that ember provides."""

from .ops.linalg import norm
from .ops.triangular import cholesky, solve_triangular

__all__ = ["cholesky", "norm", "solve_triangular"]
