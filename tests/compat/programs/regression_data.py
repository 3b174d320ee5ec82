"""Linear regression trained by hand through .data, the way older code and lectures do it:
w.data.normal_, b.data.fill_, p.data -= lr * p.grad, p.data.add_(...), p.grad.data.zero_()."""

import numpy as np
import torch
from shared_init import shared_init

rng = np.random.default_rng(0)
true_w = np.array([[2.0], [-3.4], [0.5]], dtype=np.float32)
X_np = rng.normal(size=(256, 3)).astype(np.float32)
y_np = X_np @ true_w + 4.2 + 0.01 * rng.normal(size=(256, 1)).astype(np.float32)
X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)

torch.manual_seed(0)
w = torch.empty(3, 1, requires_grad=True)
b = torch.empty(1, requires_grad=True)
w.data.normal_(0, 0.01)
b.data.fill_(0)
shared_init({"w": w, "b": b})
print("initial b", b.data, "w is a leaf:", w.is_leaf, "w.data requires grad:", w.data.requires_grad)

lr = 0.03
for epoch in range(30):
    for i in range(0, 256, 32):
        xb, yb = X[i : i + 32], y[i : i + 32]
        loss = ((xb @ w + b - yb) ** 2 / 2).mean()
        loss.backward()
        w.data -= lr * w.grad  # the update, outside autograd
        b.data.add_(b.grad, alpha=-lr)
        w.grad.data.zero_()
        b.grad.data.zero_()
    if epoch % 10 == 9:
        with torch.no_grad():
            train_loss = ((X @ w + b - y) ** 2 / 2).mean()
        print(f"epoch {epoch + 1}, loss {train_loss:.8f}")

print(f"w {w.detach().flatten().tolist()} b {b.item():.6f}")
print(f"error in w: {(torch.from_numpy(true_w) - w.data).abs().max().item():.6f}")

# .data shares memory with the tensor and is not tracked: changes through it are seen by w.
w.data.mul_(0.5)
print("halved w", [round(v, 5) for v in w.flatten().tolist()])
