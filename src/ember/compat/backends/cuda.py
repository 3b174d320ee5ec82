"""``ember.backends.cuda``: no CUDA; ``matmul.allow_tf32`` and friends are kept, with no effect."""

from __future__ import annotations


class _MatmulFlags:
    """``backends.cuda.matmul``: PyTorch's TF32 and reduced-precision switches."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False


def flash_sdp_enabled() -> bool:
    return False


def mem_efficient_sdp_enabled() -> bool:
    return False


def math_sdp_enabled() -> bool:
    return True


def enable_flash_sdp(enabled: bool) -> None:
    """Kept for scripts; attention in ember always uses the plain (math) formulation."""


enable_mem_efficient_sdp = enable_math_sdp = enable_flash_sdp
