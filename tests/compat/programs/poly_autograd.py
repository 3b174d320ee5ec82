"""The cubic fit of sin(x) again, with autograd computing the gradients."""

import math

import torch
from shared_init import shared_init

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)

a = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
c = torch.randn((), requires_grad=True)
d = torch.randn((), requires_grad=True)
shared_init({"a": a, "b": b, "c": c, "d": d})

learning_rate = 1e-6
for t in range(1500):
    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum()
    if t % 300 == 299:
        print(t, round(loss.item(), 4))
    loss.backward()

    with torch.no_grad():
        for param in (a, b, c, d):
            param -= learning_rate * param.grad
            param.grad = None

print(f"Result: y = {a.item():.6f} + {b.item():.6f} x + {c.item():.6f} x^2 + {d.item():.6f} x^3")
