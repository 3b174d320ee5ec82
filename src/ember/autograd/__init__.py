"""Automatic differentiation: Function/Op, the backward engine, grad-mode switches, forward mode,
function transforms, gradient checks and anomaly detection."""

from . import forward_ad, functional
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import grad, run_backward
from .function import Function, Node, Op
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "GradcheckError",
    "Node",
    "Op",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "run_backward",
    "set_detect_anomaly",
    "set_grad_enabled",
]
