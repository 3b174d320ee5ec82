"""The cubic fit with nn: features (x, x^2, x^3), a Linear layer, MSELoss, a manual update."""

import math

import torch
from shared_init import shared_init
from torch import nn

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
powers = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(powers)  # (2000, 3)

model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
shared_init(model.state_dict())
loss_fn = nn.MSELoss(reduction="sum")

learning_rate = 1e-6
for t in range(1500):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 300 == 299:
        print(t, "%.6f" % loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear = model[0]
print(
    f"Result: y = {linear.bias.item():.6f} + {linear.weight[:, 0].item():.6f} x"
    f" + {linear.weight[:, 1].item():.6f} x^2 + {linear.weight[:, 2].item():.6f} x^3"
)
