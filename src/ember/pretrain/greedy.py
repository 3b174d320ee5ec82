"""Greedy layer-wise unsupervised pre-training of an MLP's hidden layers, bottom-up.

Hidden layer k is trained to model its input (as an autoencoder, a denoising autoencoder or an
RBM) while layers 1..k-1 are fixed: their parameters have ``requires_grad=False`` and their codes
are computed under ``no_grad``, so nothing below layer k is recorded or differentiated. The last
``Linear`` (the classifier) is left for supervised fine-tuning.

>>> model = ember.models.mlp(784, [500, 500], 10, "sigmoid")            # doctest: +SKIP
>>> reports = greedy_layerwise(model, images, method="denoising", epochs=5)  # doctest: +SKIP
>>> [r.reconstruction_error for r in reports]                          # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..autograd.grad_mode import no_grad
from ..backend import Generator
from ..tensor import Tensor
from .autoencoder import AutoencoderLayer, AutoencoderTrainer
from .parallel import BatchShard, ShardedGenerator, SyncedOptimizer
from .rbm import RBM, BernoulliRBM, ContrastiveDivergence, GaussianBernoulliRBM

__all__ = ["METHODS", "OPTIMIZERS", "LayerReport", "greedy_layerwise"]

METHODS = ("autoencoder", "denoising", "rbm")
OPTIMIZERS: dict[str, type[optim.Optimizer]] = {
    "sgd": optim.SGD,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "rmsprop": optim.RMSprop,
    "adagrad": optim.Adagrad,
}
_CHUNK = 4096  # rows per forward pass when a whole array goes through a layer


@dataclass
class LayerReport:
    """What pre-training one hidden layer did.

    ``index``: the Linear's position in the module list; ``layer``: 1 for the first hidden
    layer; ``losses``: the mean training loss per epoch (``loss_name``: the autoencoder's
    reconstruction loss per sample, or the RBM's reconstruction error per unit);
    ``reconstruction_error``: mean squared error per unit of reconstructing the clean layer
    inputs after training; ``module``: the trained AutoencoderLayer or RBM.
    """

    index: int
    layer: int
    in_features: int
    out_features: int
    method: str
    loss_name: str
    losses: list[float]
    reconstruction_error: float
    seconds: float
    module: nn.Module = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report without ``module``, ready for ``json.dumps``."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "module"}


@dataclass
class _Stage:
    """A hidden Linear and the modules after it up to the next Linear (its activation)."""

    index: int
    linear: nn.Linear
    activation: nn.Module

    def __call__(self, x: Tensor) -> Tensor:
        return self.activation(self.linear(x))

    def modules(self) -> list[nn.Module]:
        return [self.linear, self.activation]


def _split(layers: nn.Module | Sequence[nn.Module]) -> tuple[list[nn.Module], list[_Stage]]:
    """(modules before the first Linear, one stage per Linear but the last)."""
    modules = list(layers) if isinstance(layers, (nn.Sequential, list, tuple)) else []
    if not modules or not all(isinstance(m, nn.Module) for m in modules):
        raise TypeError(
            "greedy_layerwise: expected an nn.Sequential or a list of modules, "
            f"got {type(layers).__name__}"
        )
    where = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    if len(where) < 2:
        raise ValueError(
            "greedy_layerwise: needs at least two Linear layers (hidden layers and the "
            f"classifier), found {len(where)}"
        )
    no_activations = all(isinstance(m, (nn.Linear, nn.Flatten)) for m in modules[where[0] :])
    stages = []
    for i, j in itertools.pairwise(where):
        between = modules[i + 1 : j]
        if no_activations:
            activation: nn.Module = nn.Sigmoid()
        elif len(between) == 1:
            activation = between[0]
        else:
            activation = nn.Sequential(*between) if between else nn.Identity()
        stages.append(_Stage(i, modules[i], activation))
    return modules[: where[0]], stages


def _per_layer(value: Any, n: int, name: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"greedy_layerwise: {name} has {len(value)} entries for {n} hidden layers"
            )
        return list(value)
    return [value] * n


def _map(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``fn`` over ``x`` in chunks of rows, without recording a graph."""
    with no_grad():
        if len(x) == 0:
            return fn(x)
        parts = [fn(x[i : i + _CHUNK])._data for i in range(0, len(x), _CHUNK)]
        return Tensor(np.concatenate(parts), dtype=parts[0].dtype)


# ----------------------------------------------------------------------------------- data
class _TensorSource:
    """All inputs of the current layer in memory: each layer's codes are computed once."""

    def __init__(self, x: Tensor, shard: BatchShard | None = None) -> None:
        self.x = x
        self.shard = shard  # with several ranks: each takes its rows of every batch

    def batches(self, batch_size: int, generator: Generator | None) -> Iterator[Tensor]:
        order = backend.rng(generator).permutation(len(self.x))
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            if self.shard is None:
                yield Tensor(self.x._data[rows], dtype=self.x.dtype)
                continue
            with self.shard.batch(rows) as mine:
                yield Tensor(self.x._data[mine], dtype=self.x.dtype)

    def count(self, batch_size: int) -> int:
        return -(-len(self.x) // batch_size)

    def chunks(self) -> Iterator[Tensor]:
        for i in range(0, len(self.x), _CHUNK):
            yield self.x[i : i + _CHUNK]

    def sample(self) -> Tensor:
        return self.x

    def advance(self, stage: Callable[[Tensor], Tensor]) -> None:
        self.x = _map(stage, self.x)


class _LoaderSource:
    """Batches of a DataLoader (labels dropped) pushed through the fixed layers, under no_grad."""

    def __init__(self, loader: Iterable[Any], prepare: Callable[[Tensor], Tensor]) -> None:
        self.loader = loader
        self.below: list[Callable[[Tensor], Tensor]] = [prepare]

    def batches(self, batch_size: int | None, generator: Generator | None) -> Iterator[Tensor]:
        for batch in self.loader:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            with no_grad():
                for fn in self.below:
                    x = fn(x)
            yield x

    def count(self, batch_size: int | None) -> int | None:
        try:
            return len(self.loader)  # type: ignore[arg-type]
        except TypeError:
            return None

    def chunks(self) -> Iterator[Tensor]:
        return self.batches(None, None)

    def sample(self) -> Tensor:
        return next(iter(self.batches(None, None)))

    def advance(self, stage: Callable[[Tensor], Tensor]) -> None:
        self.below.append(stage)


def _preparer(prefix: list[nn.Module], first: nn.Linear) -> Callable[[Tensor], Tensor]:
    """Raw inputs -> float rows of the first Linear's width: the leading modules (such as
    Flatten), then flattening of any remaining trailing dims."""
    dtype = first.weight.dtype

    def prepare(x: Any) -> Tensor:
        x = _as_tensor(x)
        x = x.to(dtype)
        for module in prefix:
            x = module(x)
        if x.ndim > 2:
            x = x.flatten(1)
        if x.ndim != 2 or x.shape[1] != first.in_features:
            raise ValueError(
                f"greedy_layerwise: inputs of shape {tuple(x.shape)} do not fit the first "
                f"Linear (in_features={first.in_features})"
            )
        return x

    return prepare


def _as_tensor(x: Any) -> Tensor:
    """A tensor of ``x``, keeping a float64 array float64 (the model's dtype is applied later)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    return Tensor(a, dtype=a.dtype if a.dtype in (np.float32, np.float64) else None)


def _in_unit_range(x: Tensor) -> bool:
    return bool(x.numel() == 0 or (x._data.min() >= 0 and x._data.max() <= 1))


# ----------------------------------------------------------------------------------- training
def _optimizer(
    spec: Any, params: list[nn.Parameter], lr: float | None, kwargs: dict[str, Any]
) -> optim.Optimizer:
    if isinstance(spec, str):
        if spec not in OPTIMIZERS:
            raise ValueError(
                f"greedy_layerwise: unknown optimizer {spec!r}; choose from {list(OPTIMIZERS)}"
            )
        spec = OPTIMIZERS[spec]
    if lr is None:
        lr = 0.1 if spec is optim.SGD else 1e-3
    return spec(params, lr=lr, **kwargs)


def _synced(opt: optim.Optimizer, source: Any) -> Any:
    """``opt``, averaging gradients over the ranks first when the source is sharded."""
    shard = getattr(source, "shard", None)
    return opt if shard is None else SyncedOptimizer(opt, shard)


def _trainable(module: nn.Module) -> list[nn.Parameter]:
    return [p for p in module.parameters() if p.requires_grad]


def _reconstruction_error(reconstruct: Callable[[Tensor], Tensor], source: Any) -> float:
    total, count = 0.0, 0
    with no_grad():
        for x in source.chunks():
            total += float(((reconstruct(x) - x) ** 2).sum().item())
            count += x.numel()
    return total / max(count, 1)


def _run_epochs(
    step: Callable[[Tensor], float],
    source: Any,
    epochs: int,
    batch_size: int | None,
    generator: Generator | None,
    bar: Any,
) -> list[float]:
    curve = []
    for epoch in range(1, epochs + 1):
        total, count = 0.0, 0
        for x in source.batches(batch_size, generator):
            total += step(x) * len(x)
            count += len(x)
            bar.update()
            bar.set_postfix(epoch=f"{epoch}/{epochs}", loss=f"{total / count:.4f}")
        shard = getattr(source, "shard", None)
        if shard is not None:
            total, count = shard.sum(total, count)
        if count == 0:
            raise ValueError("greedy_layerwise: the data yielded no samples")
        curve.append(total / count)
    return curve


def greedy_layerwise(
    layers: nn.Module | Sequence[nn.Module],
    data: Any,
    method: str = "autoencoder",
    *,
    epochs: int | Sequence[int] = 10,
    lr: float | Sequence[float] | None = None,
    batch_size: int | Sequence[int] | None = None,
    optimizer: str | Callable[..., optim.Optimizer] = "sgd",
    optimizer_kwargs: dict[str, Any] | None = None,
    corruption: float | Sequence[float] | None = None,
    noise: str = "mask",
    cd_k: int | Sequence[int] = 1,
    persistent: bool = False,
    tied: bool = True,
    loss: str | None = None,
    visible: str | None = None,
    progress: bool = True,
    generator: Generator | None = None,
    process_group: Any = None,
) -> list[LayerReport]:
    """Pre-train every hidden Linear of ``layers`` bottom-up; returns one report per layer.

    ``layers``: an ``nn.Sequential`` or a list of modules; the modules between two Linears are
    the first one's activation (sigmoid when the list holds no activation at all), modules
    before the first Linear (such as Flatten) are applied to the data. ``data``: a tensor or
    array of inputs, or a re-iterable DataLoader (the first element of each batch is used,
    labels are ignored; its own batches are used, so ``batch_size`` must not be given).

    ``method``: "autoencoder", "denoising" (``corruption`` defaults to 0.25) or "rbm" (CD-``cd_k``,
    or PCD with ``persistent=True``; the activations must be Sigmoid). ``epochs``, ``lr``,
    ``batch_size`` (default 64), ``corruption`` and ``cd_k`` may be per-layer lists.
    ``optimizer``: a name in ``OPTIMIZERS`` or a callable ``(params, lr=..., **optimizer_kwargs)``;
    ``lr`` defaults to 0.1 for SGD, else 1e-3. ``loss`` ("cross-entropy" or "mse") and
    ``visible`` (the first RBM's units, "bernoulli" or "gaussian") default by the range of each
    layer's inputs: [0, 1] gives cross-entropy and Bernoulli units.

    Afterwards every parameter has the ``requires_grad`` and every module the training mode it
    had before, so the network is ready for supervised fine-tuning.

    ``process_group`` (of ``ember.distributed``, tensor data only): every rank trains on its rows
    of each global batch, computing what one process computes up to float rounding
    (``ember.pretrain.parallel``); all ranks must pass the same data and seeded generator.
    """
    if method not in METHODS:
        raise ValueError(f"greedy_layerwise: unknown method {method!r}; choose from {METHODS}")
    prefix, stages = _split(layers)
    n = len(stages)
    if corruption is None:
        corruption = 0.25 if method == "denoising" else 0.0
    if method == "rbm" and any(c for c in _per_layer(corruption, n, "corruption")):
        raise ValueError("greedy_layerwise: corruption applies to autoencoders, not to RBMs")
    settings = {
        "epochs": _per_layer(epochs, n, "epochs"),
        "lr": _per_layer(lr, n, "lr"),
        "batch_size": _per_layer(batch_size, n, "batch_size"),
        "corruption": _per_layer(corruption, n, "corruption"),
        "cd_k": _per_layer(cd_k, n, "cd_k"),
    }
    prepare = _preparer(prefix, stages[0].linear)
    source: _TensorSource | _LoaderSource
    shard = None
    if process_group is not None and process_group.size() > 1:
        if not isinstance(data, (Tensor, np.ndarray)):
            raise ValueError(
                "greedy_layerwise: with a process_group, data must be a tensor or array that "
                "every rank holds (each rank takes its rows of every batch)"
            )
        shard = BatchShard(process_group)
        generator = ShardedGenerator(generator, shard)
    if isinstance(data, (Tensor, np.ndarray)):
        source = _TensorSource(_map(prepare, _as_tensor(data)), shard)
        settings["batch_size"] = [64 if b is None else b for b in settings["batch_size"]]
    else:
        if any(b is not None for b in settings["batch_size"]):
            raise ValueError(
                "greedy_layerwise: batch_size is for tensor data; a DataLoader has its own"
            )
        source = _LoaderSource(data, prepare)
    all_modules = [*prefix, *(m for s in stages for m in s.modules())]
    flags = [(p, p.requires_grad) for m in all_modules for p in m.parameters()]
    modes = [(m, m.training) for top in all_modules for m in top.modules()]
    config = _Config(
        method,
        optimizer,
        optimizer_kwargs or {},
        noise,
        persistent,
        tied,
        loss,
        visible,
        progress,
        generator,
    )
    reports = []
    try:
        for m in all_modules:
            m.requires_grad_(False).eval()
        for k, stage in enumerate(stages):
            options = {key: values[k] for key, values in settings.items()}
            reports.append(_pretrain_layer(stage, k, n, source, options, config))
            if k < n - 1:
                source.advance(stage)
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        for m, mode in modes:
            m.training = mode
    return reports


@dataclass
class _Config:
    """The settings of ``greedy_layerwise`` shared by all layers."""

    method: str
    optimizer: Any
    optimizer_kwargs: dict[str, Any]
    noise: str
    persistent: bool
    tied: bool
    loss: str | None
    visible: str | None
    progress: bool
    generator: Generator | None


def _layer_trainer(
    stage: _Stage, k: int, source: Any, options: dict[str, Any], config: _Config
) -> tuple[nn.Module, Any, str]:
    """(the AutoencoderLayer or RBM for this layer, its trainer, the name of its loss)."""
    linear, gen = stage.linear, config.generator
    unit_range = True
    if config.loss is None or config.visible is None:
        unit_range = _in_unit_range(source.sample())
    if config.method == "rbm":
        if not isinstance(stage.activation, nn.Sigmoid):
            raise ValueError(
                f"greedy_layerwise: method 'rbm' needs Sigmoid activations, layer {k + 1} has "
                f"{type(stage.activation).__name__}"
            )
        kind = config.visible or ("bernoulli" if unit_range else "gaussian")
        if kind not in ("bernoulli", "gaussian"):
            raise ValueError(f"greedy_layerwise: unknown visible units {kind!r}")
        cls = GaussianBernoulliRBM if k == 0 and kind == "gaussian" else BernoulliRBM
        rbm = cls(linear.in_features, linear.out_features, linear.weight.dtype, gen)
        opt = _optimizer(config.optimizer, _trainable(rbm), options["lr"], config.optimizer_kwargs)
        cd = ContrastiveDivergence(
            rbm, _synced(opt, source), options["cd_k"], config.persistent, gen
        )
        return rbm, cd, "reconstruction mse"
    loss_name = config.loss or ("cross-entropy" if unit_range else "mse")
    ae = AutoencoderLayer(linear, stage.activation, config.tied, loss_name, gen)
    opt = _optimizer(config.optimizer, _trainable(ae), options["lr"], config.optimizer_kwargs)
    trainer = AutoencoderTrainer(ae, _synced(opt, source), options["corruption"], config.noise, gen)
    return ae, trainer, loss_name


def _pretrain_layer(
    stage: _Stage, k: int, n: int, source: Any, options: dict[str, Any], config: _Config
) -> LayerReport:
    from tqdm import tqdm

    start = time.perf_counter()
    linear = stage.linear
    for m in stage.modules():
        m.requires_grad_(True).train()
    module, trainer, loss_name = _layer_trainer(stage, k, source, options, config)
    epochs, batch_size = options["epochs"], options["batch_size"]
    batches = source.count(batch_size)
    bar = tqdm(
        total=None if batches is None else epochs * batches,
        desc=f"layer {k + 1}/{n} ({linear.in_features}->{linear.out_features})",
        disable=not config.progress,
        leave=False,
        unit="batch",
    )
    try:
        curve = _run_epochs(trainer.step, source, epochs, batch_size, config.generator, bar)
    finally:
        bar.close()
    if isinstance(module, RBM):
        _copy_into(linear, module)
    module.zero_grad()  # no stale pre-training gradients are left for fine-tuning
    module.eval()
    error = _reconstruction_error(module.reconstruct, source)
    for m in stage.modules():
        m.requires_grad_(False).eval()
    return LayerReport(
        index=stage.index,
        layer=k + 1,
        in_features=linear.in_features,
        out_features=linear.out_features,
        method=config.method,
        loss_name=loss_name,
        losses=curve,
        reconstruction_error=error,
        seconds=time.perf_counter() - start,
        module=module,
    )


def _copy_into(linear: nn.Linear, rbm: RBM) -> None:
    """Seed the Linear from the RBM: weight <- W, bias <- hidden bias."""
    with no_grad():
        linear.weight.copy_(rbm.weight)
        if linear.bias is not None:
            linear.bias.copy_(rbm.h_bias)
