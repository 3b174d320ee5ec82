"""``ember.linalg``: PyTorch's ``torch.linalg`` functions that ember provides."""

from .ops.inversion import det, slogdet
from .ops.inversion import linalg_inv as inv
from .ops.inversion import linalg_solve as solve
from .ops.matrix import linalg_cross as cross
from .ops.matrix import linalg_diagonal as diagonal
from .ops.matrix import linalg_norm as norm
from .ops.matrix import matrix_norm, vector_norm
from .ops.triangular import cholesky, solve_triangular

__all__ = [
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "inv",
    "matrix_norm",
    "norm",
    "slogdet",
    "solve",
    "solve_triangular",
    "vector_norm",
]
