"""Fit y = sin(x) on [-pi, pi] with a cubic, gradients written out by hand (no autograd)."""

import math

import torch
from shared_init import shared_init

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

a, b, c, d = (torch.randn(()) for _ in range(4))
shared_init({"a": a, "b": b, "c": c, "d": d})

learning_rate = 1e-6
for t in range(1500):
    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum().item()
    if t % 300 == 299:
        print(t, f"{loss:.6f}")

    # Backprop by hand: d loss / d y_pred, then the chain rule for each coefficient.
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x**2).sum()
    grad_d = (grad_y_pred * x**3).sum()

    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d

print(f"Result: y = {a.item():.6f} + {b.item():.6f} x + {c.item():.6f} x^2 + {d.item():.6f} x^3")
