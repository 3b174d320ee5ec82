"""One layer trained as a (denoising) autoencoder: the layer is the encoder, a decoder maps its
code back to its input, and the reconstruction loss trains both.

>>> layer = nn.Linear(784, 500)
>>> ae = AutoencoderLayer(layer, nn.Sigmoid(), tied=True)
>>> ae.decoder_weight.shape           # layer.weight.T: the same storage
(784, 500)
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend, creation, nn
from ..backend import Generator
from ..nn import functional as F  # noqa: N812 - PyTorch's spelling
from ..tensor import Tensor

__all__ = ["LOSSES", "NOISES", "AutoencoderLayer", "AutoencoderTrainer", "corrupt"]

LOSSES = ("cross-entropy", "mse")
NOISES = ("mask", "gaussian")


def corrupt(
    x: Tensor, level: float, noise: str = "mask", generator: Generator | None = None
) -> Tensor:
    """The corrupted input of a denoising autoencoder, as a constant tensor.

    ``noise="mask"`` zeroes each entry independently with probability ``level`` (masking
    noise); ``noise="gaussian"`` adds N(0, level^2) noise. ``level=0`` returns ``x`` itself.
    """
    if noise not in NOISES:
        raise ValueError(f"corrupt: unknown noise {noise!r}; choose from {list(NOISES)}")
    if level < 0 or (noise == "mask" and level > 1):
        raise ValueError(f"corrupt: level {level} is out of range for {noise} noise")
    if level == 0:
        return x
    rng = backend.rng(generator)
    if noise == "mask":
        keep = rng.random(x.shape, dtype=x.dtype) >= level
        return Tensor(x._data * keep, dtype=x.dtype)
    return Tensor(x._data + level * rng.standard_normal(x.shape, dtype=x.dtype), dtype=x.dtype)


class AutoencoderLayer(nn.Module):
    """Encoder ``activation(encoder(x))`` and a decoder back to ``x``'s space.

    ``encoder`` is the ``nn.Linear`` being pre-trained; its parameters are trained in place.
    ``tied=True`` decodes with ``encoder.weight.T`` (the same Parameter, sharing storage, so it
    gets gradient from both uses); ``tied=False`` gives the decoder its own ``decoder_weight``
    of shape (in_features, out_features). ``decoder_bias`` (in_features) starts at zero.
    ``loss="cross-entropy"`` (inputs in [0, 1]) decodes through a sigmoid and scores with binary
    cross-entropy on the logits; ``loss="mse"`` decodes linearly and scores squared error. The
    loss is summed over features and averaged over the batch.
    """

    def __init__(
        self,
        encoder: nn.Linear,
        activation: nn.Module | None = None,
        tied: bool = True,
        loss: str = "cross-entropy",
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"AutoencoderLayer: unknown loss {loss!r}; choose from {list(LOSSES)}")
        self.encoder = encoder
        self.activation = activation if activation is not None else nn.Sigmoid()
        self.tied = tied
        self.loss = loss
        weight = encoder.weight
        if not tied:
            self.decoder_weight = nn.Parameter(
                creation.empty(encoder.in_features, encoder.out_features, dtype=weight.dtype)
            )
            nn.init.kaiming_uniform_(self.decoder_weight, a=math.sqrt(5), generator=generator)
        self.decoder_bias = nn.Parameter(creation.zeros(encoder.in_features, dtype=weight.dtype))

    def __getattr__(self, name: str) -> Any:
        if name == "decoder_weight" and self.__dict__.get("tied"):
            return self.encoder.weight.T
        return super().__getattr__(name)

    def extra_repr(self) -> str:
        return f"tied={self.tied}, loss={self.loss!r}"

    def encode(self, x: Tensor) -> Tensor:
        """The code, shape (*, in_features) -> (*, out_features)."""
        return self.activation(self.encoder(x))

    def decode_logits(self, code: Tensor) -> Tensor:
        """The decoder's affine map, before the sigmoid of the cross-entropy loss."""
        return F.linear(code, self.decoder_weight, self.decoder_bias)

    def decode(self, code: Tensor) -> Tensor:
        """The reconstruction, shape (*, out_features) -> (*, in_features)."""
        logits = self.decode_logits(code)
        return F.sigmoid(logits) if self.loss == "cross-entropy" else logits

    def reconstruct(self, x: Tensor) -> Tensor:
        """decode(encode(x)), shape (*, in_features) -> (*, in_features)."""
        return self.decode(self.encode(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.reconstruct(x)

    def reconstruction_loss(self, x: Tensor, target: Tensor | None = None) -> Tensor:
        """Loss of reconstructing ``target`` (default ``x``) from ``x``: per-sample sum, batch
        mean. A denoising autoencoder passes the corrupted input as ``x``, the clean as target."""
        target = x if target is None else target
        logits = self.decode_logits(self.encode(x))
        if self.loss == "cross-entropy":
            per_unit = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        else:
            per_unit = (logits - target) ** 2
        return per_unit.sum(-1).mean()


class AutoencoderTrainer:
    """Optimizer steps on an ``AutoencoderLayer``'s reconstruction loss; with ``corruption > 0``
    the input is corrupted (``corrupt``) and the clean input is the target (denoising).

    ``step(x)`` returns the batch's loss before the step.
    """

    def __init__(
        self,
        autoencoder: AutoencoderLayer,
        optimizer: Any,
        corruption: float = 0.0,
        noise: str = "mask",
        generator: Generator | None = None,
    ) -> None:
        corrupt(creation.zeros(0), corruption, noise)  # validates level and noise early
        self.autoencoder = autoencoder
        self.optimizer = optimizer
        self.corruption = corruption
        self.noise = noise
        self.generator = generator

    def step(self, x: Tensor) -> float:
        noisy = corrupt(x, self.corruption, self.noise, self.generator)
        self.optimizer.zero_grad()
        loss = self.autoencoder.reconstruction_loss(noisy, x)
        loss.backward()
        self.optimizer.step()
        return float(loss.item())
