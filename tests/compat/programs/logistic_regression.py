"""Binary logistic regression on two interleaved half-moons, with a small MLP: BCEWithLogitsLoss,
full-batch Adam, a decision threshold with torch.where, and gradient checks with .grad."""

import numpy as np
import torch
import torch.nn as nn
from shared_init import shared_init


def half_moons(n, noise, seed):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, size=n)
    upper = rng.integers(0, 2, size=n)
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], axis=1) + noise * rng.normal(size=(n, 2))
    return torch.tensor(points, dtype=torch.float32), torch.tensor(upper, dtype=torch.float32)


X, y = half_moons(400, 0.1, seed=0)
X_test, y_test = half_moons(200, 0.1, seed=1)
mean, std = X.mean(dim=0, keepdim=True), X.std(dim=0, keepdim=True)
X, X_test = (X - mean) / std, (X_test - mean) / std

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
shared_init(model.state_dict())
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

for step in range(301):
    logits = model(X).squeeze(1)
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    if step % 100 == 0:
        grad_norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
        with torch.no_grad():
            prediction = torch.where(torch.sigmoid(model(X_test).squeeze(1)) > 0.5, 1.0, 0.0)
            accuracy = (prediction == y_test).float().mean()
        print(
            f"step {step:3d}  loss {loss.item():.6f}  grad norm {grad_norm.item():.6f}"
            f"  test accuracy {accuracy.item():.3f}"
        )
    optimizer.step()

with torch.no_grad():
    probabilities = torch.sigmoid(model(X_test[:4]).squeeze(1))
print("first test probabilities", [f"{p:.5f}" for p in probabilities.tolist()])
