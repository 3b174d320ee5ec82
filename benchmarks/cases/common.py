"""What several cases share: the MLP 784-1024-1024-10 and its training step in ember, PyTorch
and the NumPy reference, all started from the same weights.

A step function takes a batch in its library's own types (``inputs`` converts NumPy arrays)
and runs zero_grad, forward, cross-entropy, backward and an SGD step (lr 0.01, momentum 0.9).
Libraries are imported when first used, so that a fresh process measuring one library loads
only that library.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np

from .numpy_mlp import NumpyMLP

SIZES = (784, 1024, 1024, 10)
LR = 0.01
MOMENTUM = 0.9
LIBRARIES = ("ember", "torch", "numpy")

Step = Callable[[Any, Any], None]


def torch_or_none() -> Any:
    """The torch module, or None where PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_compiled(model: Any, first_call: Callable[[Any], Any]) -> tuple[Any, float] | str:
    """``torch.compile(model)`` and the seconds of its first call, ``first_call(compiled)``,
    which compiles; or, where torch.compile cannot run here (it needs a C++ compiler), why."""
    torch = torch_or_none()
    try:
        compiled = torch.compile(model)
        start = time.perf_counter()
        first_call(compiled)
        return compiled, time.perf_counter() - start
    except Exception as e:  # any failure leaves the column out, saying why
        first_line = (str(e).splitlines() or [""])[0]
        return f"torch.compile failed: {type(e).__name__}: {first_line[:200]}"


def libraries() -> list[str]:
    """The libraries measured here: ember and the NumPy reference, and torch when installed."""
    return [lib for lib in LIBRARIES if lib != "torch" or torch_or_none() is not None]


def mlp_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) per layer, float32, with PyTorch's default Linear initialisation range."""
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in pairwise(SIZES):
        bound = 1 / np.sqrt(n_in)
        w = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, n_out).astype(np.float32)
        layers.append((w, b))
    return layers


def batch(size: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A Fashion-MNIST-shaped batch: float32 images (size, 1, 28, 28) in [0, 1), int64 labels."""
    rng = np.random.default_rng(seed)
    return rng.random((size, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, size)


def inputs(lib: str, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    """The batch as ``lib``'s tensors."""
    if lib == "ember":
        import ember

        return ember.tensor(x), ember.tensor(y)
    if lib == "torch":
        torch = torch_or_none()
        return torch.from_numpy(x), torch.from_numpy(y)
    return x, y


def _load(module: Any, layers: list[tuple[np.ndarray, np.ndarray]], lib: Any) -> Any:
    """Copy ``layers`` into the Linear modules of ``module`` (ember or torch) and return it."""
    linears = [m for m in module.modules() if type(m).__name__ == "Linear"]
    with lib.no_grad():
        for lin, (w, b) in zip(linears, layers, strict=True):
            lin.weight.copy_(lib.tensor(w))
            lin.bias.copy_(lib.tensor(b))
    return module


def _library_step(lib: Any, model: Any, optimizer: Any) -> Step:
    loss_fn = lib.nn.CrossEntropyLoss()

    def step(x: Any, y: Any) -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


def ember_model(activation: str, layers: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    import ember
    from ember import models

    return _load(models.mlp(SIZES[0], SIZES[1:-1], SIZES[-1], activation), layers, ember)


def torch_model(activation: str, layers: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    torch = torch_or_none()
    nn = torch.nn
    act = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
    modules: list[Any] = [nn.Flatten()]
    for n_in, n_out in pairwise(SIZES[:-1]):
        modules += [nn.Linear(n_in, n_out), act()]
    modules.append(nn.Linear(SIZES[-2], SIZES[-1]))
    return _load(nn.Sequential(*modules), layers, torch)


def mlp_step(lib: str, activation: str, layers: list[tuple[np.ndarray, np.ndarray]]) -> Step:
    """The training step of ``lib`` on its own copy of ``layers``."""
    copies = [(w.copy(), b.copy()) for w, b in layers]
    if lib == "numpy":
        return NumpyMLP(copies, activation, LR, MOMENTUM).step
    if lib == "ember":
        import ember

        model = ember_model(activation, copies)
        return _library_step(
            ember, model, ember.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        )
    torch = torch_or_none()
    model = torch_model(activation, copies)
    return _library_step(
        torch, model, torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    )


def check_numpy_reference(activation: str) -> None:
    """Assert that one NumPy-reference step updates the weights as ember's step does: the
    parameters to 1e-5 relative, and the updates to 1% of their largest entry (the float32
    rounding of the parameters alone leaves about 0.1% on updates this small)."""
    import ember

    layers = mlp_weights()
    x, y = batch(64)
    model = ember_model(activation, [(w.copy(), b.copy()) for w, b in layers])
    _library_step(ember, model, ember.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM))(
        *inputs("ember", x, y)
    )
    reference = NumpyMLP([(w.copy(), b.copy()) for w, b in layers], activation, LR, MOMENTUM)
    reference.step(x, y)
    start = [p for pair in layers for p in pair]
    for p0, pe, pn in zip(start, [p._data for p in model.parameters()], reference.params):
        update_error = np.abs((pe - p0) - (pn - p0)).max() / np.abs(pn - p0).max()
        if not np.allclose(pe, pn, rtol=1e-5, atol=1e-7) or update_error > 1e-2:
            raise AssertionError(
                f"NumPy reference MLP ({activation}) disagrees with ember after one step: "
                f"parameter {p0.shape}, max |difference| {np.abs(pe - pn).max():.3g}, "
                f"update error {update_error:.3g}"
            )
