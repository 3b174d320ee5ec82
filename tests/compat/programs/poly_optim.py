"""The cubic fit with an optimizer doing the update (RMSprop), then SGD with momentum."""

import math

import torch
from shared_init import shared_init

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
xx = torch.stack([x, x**2, x**3], dim=1)


def fit(optimizer_class, steps, **options):
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    shared_init(model.state_dict())
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = optimizer_class(model.parameters(), **options)
    for t in range(steps):
        loss = loss_fn(model(xx), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if t % 250 == 249:
            print(f"{optimizer_class.__name__} step {t + 1}: loss {loss.item():.6f}")
    return model


rms = fit(torch.optim.RMSprop, 1000, lr=1e-3)
sgd = fit(torch.optim.SGD, 1000, lr=1e-6, momentum=0.9)
for name, model in (("RMSprop", rms), ("SGD", sgd)):
    weight = model[0].weight.detach().squeeze()
    print(name, "coefficients", [round(v, 5) for v in [model[0].bias.item(), *weight.tolist()]])
