"""A small helper for the common training loop; a hand-written loop stays first-class.

>>> history = ember.train.fit(model, loss_fn, optimizer, train_loader, epochs=3,
...                           val_loader=test_loader)                     # doctest: +SKIP
>>> history.records[-1]["val_accuracy"]                                  # doctest: +SKIP

``fit`` runs ``optimizer.zero_grad(); loss.backward(); optimizer.step()`` over the batches, shows a
tqdm bar with the running loss, accuracy and samples per second, and keeps one record per epoch.
A NaN or infinite loss stops it before that step changes the weights (``NonFiniteLossError``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd.grad_mode import no_grad
from .distributed.collectives import sum_over_ranks
from .nn.parallel import DistributedDataParallel
from .tensor import Tensor

__all__ = ["Callback", "History", "NonFiniteLossError", "confusion_matrix", "evaluate", "fit"]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite (``epoch`` and ``step`` count from 1)."""

    def __init__(self, epoch: int, step: int, value: float) -> None:
        self.epoch, self.step, self.value = epoch, step, value
        super().__init__(
            f"the training loss is {value} at epoch {epoch}, step {step}: training diverged "
            "(a smaller learning rate usually helps)"
        )


class Callback:
    """Hooks into ``fit``; override what you need. ``on_epoch_end`` may return True to stop."""

    def on_epoch_start(self, epoch: int) -> None:
        """Called before each epoch (epochs count from 1)."""

    def on_epoch_end(self, epoch: int, record: dict[str, float]) -> bool | None:
        """Called after each epoch with its record; return True to stop training."""
        return None


@dataclass
class History:
    """Per-epoch records: epoch, loss, accuracy, seconds, samples_per_s, and val_* entries."""

    records: list[dict[str, float]] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        return [r[key] for r in self.records if key in r]


def _accuracy_counts(output: Tensor, target: Tensor) -> int:
    """How many rows of class scores ``output`` pick the class index in ``target``."""
    return int((output._data.argmax(axis=1) == target._data).sum())


def _batches(loader: Iterable[Any]) -> Iterable[tuple[Tensor, Tensor]]:
    for batch in loader:
        inputs, target = batch[0], batch[1]
        yield inputs, target


def evaluate(
    model: Callable[[Tensor], Tensor],
    loader: Iterable[Any],
    loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
) -> dict[str, float]:
    """Mean loss (when ``loss_fn`` is given) and accuracy of ``model`` over ``loader``, in eval
    mode and without recording a graph; the model's mode is restored afterwards."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    try:
        with no_grad():
            for inputs, target in _batches(loader):
                output = model(inputs)
                n = len(target)
                if loss_fn is not None and n:
                    loss_sum += float(loss_fn(output, target).item()) * n
                correct += _accuracy_counts(output, target)
                total += n
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    group = _group_of(model)
    if group is not None:
        total, correct, loss_sum = sum_over_ranks(group, total, correct, loss_sum)
    if total == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    result = {"accuracy": correct / total}
    if loss_fn is not None:
        result["loss"] = loss_sum / total
    return result


def fit(
    model: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    train_loader: Iterable[Any],
    epochs: int = 1,
    val_loader: Iterable[Any] | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    start_epoch: int = 1,
    history: History | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs; returns the per-epoch history.

    ``scheduler.step()`` runs after each epoch (``ReduceLROnPlateau`` gets the validation loss,
    or the training loss without validation). ``start_epoch``/``history`` continue a resumed run.
    """
    history = history or History()
    for epoch in range(start_epoch, epochs + 1):
        for cb in callbacks:
            cb.on_epoch_start(epoch)
        stats = _train_epoch(model, loss_fn, optimizer, train_loader, epoch, epochs, progress)
        record = {"epoch": float(epoch), **stats}
        if val_loader is not None:
            record.update({f"val_{k}": v for k, v in evaluate(model, val_loader, loss_fn).items()})
        if scheduler is not None:
            _step_scheduler(scheduler, record)
        history.records.append(record)
        stop = [cb.on_epoch_end(epoch, record) for cb in callbacks]
        if any(stop):
            break
    return history


def _train_epoch(
    model: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    loader: Iterable[Any],
    epoch: int,
    epochs: int,
    progress: bool,
) -> dict[str, float]:
    from tqdm import tqdm

    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    start = time.perf_counter()
    bar = tqdm(
        loader,
        desc=f"epoch {epoch}/{epochs}",
        total=_length(loader),
        disable=not progress,
        leave=False,
        unit="batch",
    )
    group = _group_of(model)
    for step, (inputs, target) in enumerate(_batches(bar), 1):
        optimizer.zero_grad()
        output = model(inputs)
        loss = loss_fn(output, target)
        n = len(target)
        if n:
            value = float(loss.item())
            if not math.isfinite(value):
                raise NonFiniteLossError(epoch, step, value)
            loss_sum += value * n
        if group is None:
            loss.backward()
        else:
            _backward_share(loss, output, n, group)
        optimizer.step()
        correct += _accuracy_counts(output, target)
        total += n
        elapsed = time.perf_counter() - start
        bar.set_postfix(
            loss=f"{loss_sum / total:.4f}",
            acc=f"{correct / total:.4f}",
            samples_s=f"{total / max(elapsed, 1e-9):.0f}",
        )
    bar.close()
    if group is not None:
        total, correct, loss_sum = sum_over_ranks(group, total, correct, loss_sum)
    if total == 0:
        raise ValueError("fit: the training loader yielded no samples")
    seconds = time.perf_counter() - start
    return {
        "loss": loss_sum / total,
        "accuracy": correct / total,
        "seconds": seconds,
        "samples_per_s": total / seconds,
    }


def _group_of(model: Any) -> Any:
    """The process group of a ``DistributedDataParallel`` model of several ranks, else None."""
    if isinstance(model, DistributedDataParallel) and model.process_group.size() > 1:
        return model.process_group
    return None


def _backward_share(loss: Tensor, output: Tensor, n: int, group: Any) -> None:
    """Backward of this rank's share of a global batch split over the ranks.

    The ranks' gradients are averaged, so a rank with ``n`` of the batch's ``n_global`` samples
    scales its mean loss by ``n * size / n_global``: the average is then the gradient of the
    mean loss over the whole batch, also when the shares are uneven. A rank without samples
    contributes zeros.
    """
    (n_global,), size = sum_over_ranks(group, n), group.size()
    if n == 0:
        (output.sum() * 0.0).backward()
    elif n * size == n_global:
        loss.backward()
    else:
        (loss * (n * size / n_global)).backward()


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _step_scheduler(scheduler: Any, record: dict[str, float]) -> None:
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        scheduler.step(record.get("val_loss", record["loss"]))
    else:
        scheduler.step()


def confusion_matrix(model: Any, loader: Iterable[Any], num_classes: int) -> np.ndarray:
    """Counts[true class, predicted class] of ``model`` over ``loader`` (no graph recorded)."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    model.eval()
    with no_grad():
        for inputs, target in _batches(loader):
            predicted = model(inputs)._data.argmax(axis=1)
            np.add.at(counts, (target._data, predicted), 1)
    return counts
