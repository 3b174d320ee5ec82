"""The NumPy reference of the MLP training step: plain forward, hand-written backward (softmax
cross-entropy gradient, activation masks, matmuls, bias sums) and in-place momentum SGD, with
every intermediate in a buffer reused from step to step. It is the floor that a framework on
NumPy can approach: no graph, no allocation, nothing computed that the update does not need.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ACTIVATIONS = ("relu", "sigmoid")


def sigmoid_(z: np.ndarray) -> np.ndarray:
    """z <- 1 / (1 + exp(-z)) in place (exp overflows to inf for z < -88, giving 0 exactly)."""
    with np.errstate(over="ignore"):
        np.negative(z, out=z)
        np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


class NumpyMLP:
    """Linear layers with ``activation`` between them, trained by SGD with momentum on the mean
    softmax cross-entropy of integer labels (PyTorch's SGD rule: buf <- m buf + g, p <- p - lr buf).

    ``layers`` holds (weight (out, in), bias (out)) pairs in float32; they are updated in place.
    """

    def __init__(
        self,
        layers: Sequence[tuple[np.ndarray, np.ndarray]],
        activation: str,
        lr: float = 0.01,
        momentum: float = 0.9,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"NumpyMLP: unknown activation {activation!r}")
        self.params = [p for pair in layers for p in pair]
        self.activation = activation
        self.lr = lr
        self.momentum = momentum
        self.momenta = [np.zeros_like(p) for p in self.params]
        self.grads = [np.empty_like(p) for p in self.params]
        self._buffers: dict[int, tuple] = {}
        self._steps = 0

    def _buffers_for(self, batch: int) -> tuple:
        """(outputs of every layer, their gradients, a bool and a float scratch buffer) for this
        batch size."""
        if batch not in self._buffers:
            widths = [w.shape[0] for w in self.params[::2]]
            outs = [np.empty((batch, n), np.float32) for n in widths]
            grads = [np.empty((batch, n), np.float32) for n in widths]
            mask = np.empty((batch, max(widths)), bool)
            scratch = np.empty((batch, max(widths)), np.float32)
            self._buffers[batch] = (outs, grads, mask, scratch)
        return self._buffers[batch]

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One SGD step on the batch ``x`` (batch, ...) with labels ``y`` (batch,)."""
        x = x.reshape(len(x), -1)
        batch = len(x)
        outs, douts, mask, scratch = self._buffers_for(batch)
        weights, biases = self.params[::2], self.params[1::2]
        last = len(weights) - 1
        h = x
        for i, (w, b) in enumerate(zip(weights, biases)):
            np.matmul(h, w.T, out=outs[i])
            outs[i] += b
            if i < last:
                if self.activation == "relu":
                    np.maximum(outs[i], 0, out=outs[i])
                else:
                    sigmoid_(outs[i])
            h = outs[i]

        # softmax cross-entropy gradient, (softmax(z) - onehot(y)) / batch
        g = douts[last]
        np.subtract(h, h.max(axis=1, keepdims=True), out=g)
        np.exp(g, out=g)
        g /= g.sum(axis=1, keepdims=True)
        g[np.arange(batch), y] -= 1
        g /= batch

        for i in range(last, -1, -1):
            g = douts[i]
            h_in = outs[i - 1] if i > 0 else x
            np.matmul(g.T, h_in, out=self.grads[2 * i])
            np.sum(g, axis=0, out=self.grads[2 * i + 1])
            if i == 0:
                break
            dh = douts[i - 1]
            np.matmul(g, weights[i], out=dh)
            if self.activation == "relu":  # relu'(z) = [out > 0]
                m = mask[:, : dh.shape[1]]
                np.greater(h_in, 0, out=m)
                np.multiply(dh, m, out=dh)
            else:  # sigmoid'(z) = out (1 - out)
                s = scratch[:, : dh.shape[1]]
                np.subtract(1, h_in, out=s)
                s *= h_in
                dh *= s
        self._sgd()

    def _sgd(self) -> None:
        first = self._steps == 0
        self._steps += 1
        for p, g, buf in zip(self.params, self.grads, self.momenta):
            if first:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += g
            np.multiply(buf, self.lr, out=g)
            p -= g
