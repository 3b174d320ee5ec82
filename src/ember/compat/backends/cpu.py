"""``ember.backends.cpu``: what the CPU backend offers."""


def get_cpu_capability() -> str:
    """ember runs NumPy's kernels; it names no instruction set of its own."""
    return "DEFAULT"
