"""``ember.backends.openmp``: ember does not use OpenMP itself (NumPy's BLAS may)."""


def is_available() -> bool:
    return False
