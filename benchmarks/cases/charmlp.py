"""The character-level MLP training step of the well-known lecture code, ember beside PyTorch
from the same weights, in us per step: an embedding of 27 characters into 10 dimensions, a
context of 3 characters flattened to 30, ``Linear(30, 200)``, tanh, ``Linear(200, 27)``,
cross-entropy; a batch of 32 random (context, next character) pairs per step (cycling through
BATCHES pre-drawn batches, the same in both libraries); ``zero_grad``, backward and an SGD step
(lr 0.1).

Rows: eager with the per-parameter optimizer (``SGD(..., foreach=False)``), and eager with the
fused optimizer (``SGD(..., fused=True)``), PyTorch with the same option in each row. Beside the
fused row (not with ``--quick``), ``torch.compile(model)`` with the fused optimizer as a third
column, "torch.compile", and the seconds its first step takes (the compilation) as a case of its
own. A last row compiles ember's model and loss (``ember.compile``) with the fused optimizer,
against PyTorch eager with its fused optimizer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common

VOCAB = 27
EMBED = 10
BLOCK = 3
HIDDEN = 200
BATCH = 32
BATCHES = 64
LR = 0.1
STEPS = 200  # steps per sample
OPTIMIZERS = {"per-parameter SGD": {"foreach": False}, "fused SGD": {"fused": True}}


def char_mlp(lib: Any) -> Any:
    """The model as a Module of ``lib``: (batch, BLOCK) indices to (batch, VOCAB) logits."""
    nn = lib.nn

    class CharMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(VOCAB, EMBED)
            self.hidden = nn.Linear(BLOCK * EMBED, HIDDEN)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, idx: Any) -> Any:
            h = self.hidden(self.emb(idx).view(-1, BLOCK * EMBED)).tanh()
            return self.out(h)

    return CharMLP()


def data(lib: Any) -> list[tuple[Any, Any]]:
    """BATCHES (contexts, targets) pairs as ``lib``'s int64 tensors, the same in each library."""
    rng = np.random.default_rng(0)
    return [
        (
            lib.tensor(rng.integers(0, VOCAB, (BATCH, BLOCK))),
            lib.tensor(rng.integers(0, VOCAB, BATCH)),
        )
        for _ in range(BATCHES)
    ]


def models() -> dict[str, Any]:
    """A fresh model per library, ember's loaded with PyTorch's weights (or seeded alone)."""
    import ember

    ember.manual_seed(0)
    out = {"ember": (ember, char_mlp(ember))}
    torch = common.torch_or_none()
    if torch is not None:
        torch.manual_seed(0)
        twin = char_mlp(torch)
        out["ember"][1].load_state_dict(
            {k: ember.tensor(v.numpy()) for k, v in twin.state_dict().items()}
        )
        out["torch"] = (torch, twin)
    return out


def step_fn(lib: Any, model: Any, optimizer: Any) -> Callable[[Any, Any], Any]:
    """One training step: forward, loss, ``zero_grad``, backward, optimizer step."""
    cross_entropy = lib.nn.functional.cross_entropy

    def step(xb: Any, yb: Any) -> Any:
        loss = cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


def timer(
    case: str, step: Callable[[Any, Any], Any], batches: list[tuple[Any, Any]], steps: int
) -> Callable[[], dict[str, float]]:
    """Per call, ``steps`` steps over ``batches`` in turn, in us per step."""

    def once() -> dict[str, float]:
        start = time.perf_counter()
        for i in range(steps):
            step(*batches[i % len(batches)])
        return {case: (time.perf_counter() - start) * 1e6 / steps}

    return once


def case_name(optimizer: str) -> str:
    return f"char mlp step, eager, {optimizer}"


def torch_compile_column(
    case: str, options: dict[str, bool], steps: int
) -> tuple[Callable[[], dict[str, float]], Measurement] | None:
    """The step of ``torch.compile(model)`` (PyTorch's weights, as the other columns) and its
    compile time; None, with the reason printed, where torch.compile does not work here."""
    torch = common.torch_or_none()
    if torch is None:
        return None
    torch.manual_seed(0)
    model = char_mlp(torch)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, **options)
    batches = data(torch)
    compiled = common.torch_compiled(model, lambda m: step_fn(torch, m, optimizer)(*batches[0]))
    if isinstance(compiled, str):
        print(f"char mlp: no torch.compile column ({compiled})")
        return None
    step = step_fn(torch, compiled[0], optimizer)
    seconds = Measurement(
        f"{case}, torch.compile compile time", "torch.compile", "s", [compiled[1]]
    )
    return timer(case, step, batches, steps), seconds


def run(quick: bool) -> list[Measurement]:
    steps = 5 if quick else STEPS
    results = []
    for label, options in OPTIMIZERS.items():
        impls = {}
        case = case_name(label)
        for name, (lib, model) in models().items():
            optimizer = lib.optim.SGD(model.parameters(), lr=LR, **options)
            impls[name] = timer(case, step_fn(lib, model, optimizer), data(lib), steps)
        if options.get("fused") and not quick:
            column = torch_compile_column(case, options, steps)
            if column is not None:
                impls["torch.compile"] = column[0]
                results.append(column[1])
        results += interleave("us/step", impls, repeats=1 if quick else 9)
    return results + _compiled_row(steps, quick)


COMPILED = "char mlp step, compiled, fused SGD"


def _compiled_row(steps: int, quick: bool) -> list[Measurement]:
    """The model and its loss compiled with ``ember.compile``, with the fused optimizer, beside
    PyTorch eager with its fused optimizer."""
    impls = {}
    for name, (lib, model) in models().items():
        optimizer = lib.optim.SGD(model.parameters(), lr=LR, fused=True)
        loss = lambda xb, yb, m=model, f=lib.nn.functional: f.cross_entropy(m(xb), yb)  # noqa: E731
        if name == "ember":
            loss = lib.compile(loss)
        impls[name] = timer(COMPILED, _loss_step(loss, optimizer), data(lib), steps)
    return interleave("us/step", impls, repeats=1 if quick else 9)


def _loss_step(loss_fn: Callable[[Any, Any], Any], optimizer: Any) -> Callable[[Any, Any], Any]:
    def step(xb: Any, yb: Any) -> Any:
        loss = loss_fn(xb, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step
