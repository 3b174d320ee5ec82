"""CNN training step at batch 64, in ms: conv 1->32 3x3 pad 1, ReLU, max-pool 2, conv 32->64
3x3 pad 1, ReLU, max-pool 2, Linear 3136->128, ReLU, Linear 128->10; cross-entropy, SGD lr 0.01
with momentum 0.9. ember's ``models.cnn()`` beside the same network in PyTorch, started from
the same weights. (No NumPy reference: a hand-written convolution backward is a framework.)"""

from __future__ import annotations

import time
from typing import Any

from ..harness import Measurement, interleave
from . import common

BATCH = 64


def torch_cnn(torch: Any) -> Any:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _timer(lib: Any, model: Any, x: Any, y: Any, steps: int) -> Any:
    optimizer = lib.optim.SGD(model.parameters(), lr=common.LR, momentum=common.MOMENTUM)
    loss_fn = lib.nn.CrossEntropyLoss()

    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        return {f"cnn step b{BATCH}": (time.perf_counter() - start) * 1e3 / steps}

    return once


def run(quick: bool) -> list[Measurement]:
    import ember
    from ember import models

    ember.manual_seed(0)
    model = models.cnn()
    x, y = common.batch(BATCH)
    steps = 1 if quick else 3
    impls = {"ember": _timer(ember, model, *common.inputs("ember", x, y), steps)}
    torch = common.torch_or_none()
    if torch is not None:
        twin = torch_cnn(torch)
        with torch.no_grad():
            for p, q in zip(twin.parameters(), model.parameters(), strict=True):
                p.copy_(torch.from_numpy(q._data))
        impls["torch"] = _timer(torch, twin, *common.inputs("torch", x, y), steps)
    return interleave("ms/step", impls, repeats=1 if quick else 9)
