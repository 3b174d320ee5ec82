"""``ember.linalg``: PyTorch's ``torch.linalg`` functions that ember provides."""

from .ops.matrix import linalg_cross as cross
from .ops.matrix import linalg_diagonal as diagonal
from .ops.matrix import linalg_norm as norm
from .ops.matrix import matrix_norm, vector_norm
from .ops.triangular import cholesky, solve_triangular

__all__ = [
    "cholesky",
    "cross",
    "diagonal",
    "matrix_norm",
    "norm",
    "solve_triangular",
    "vector_norm",
]
