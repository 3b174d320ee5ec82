"""Ready-made networks used by the ``ember`` command, the benchmarks and the experiments."""

from __future__ import annotations

from collections.abc import Sequence

from . import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


def mlp(
    in_features: int = 784,
    hidden: Sequence[int] = (1024, 1024),
    out_features: int = 10,
    activation: str = "relu",
) -> nn.Sequential:
    """Flatten, then Linear + activation per hidden width, then a Linear classifier.

    >>> mlp(784, [500, 500], 10, "sigmoid")[1]
    Linear(in_features=784, out_features=500, bias=True)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"mlp: unknown activation {activation!r}; choose from {list(ACTIVATIONS)}")
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


def cnn(in_channels: int = 1, num_classes: int = 10, activation: str = "relu") -> nn.Sequential:
    """Two 3x3 conv layers (32, 64 channels, padding 1), each with max-pool 2, then Linear 128 and a
    Linear classifier: the CNN of the benchmarks, for 28x28 inputs."""
    act = ACTIVATIONS[activation]
    return nn.Sequential(
        nn.Conv2d(in_channels, 32, 3, padding=1),
        act(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        act(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        act(),
        nn.Linear(128, num_classes),
    )
