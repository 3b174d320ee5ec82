"""An MLP classifier written with everyday habits: DataLoader over a shuffled TensorDataset with
a seeded generator, model.apply with nn.init, BatchNorm, a scheduler, f-strings on tensors,
eval under no_grad, and a state_dict round trip into a fresh model."""

import copy

import numpy as np
import torch
import torch.nn as nn
from shared_init import shared_init
from torch.utils.data import DataLoader, TensorDataset, random_split

rng = np.random.default_rng(0)
centers = rng.normal(0, 2.0, size=(3, 8))
labels = rng.integers(0, 3, size=900)
features = centers[labels] + rng.normal(0, 1.5, size=(900, 8))
dataset = TensorDataset(torch.tensor(features, dtype=torch.float32), torch.from_numpy(labels))

torch.manual_seed(0)
train_set, val_set = random_split(dataset, [700, 200], generator=torch.Generator().manual_seed(1))
train_loader = DataLoader(
    train_set, batch_size=50, shuffle=True, generator=torch.Generator().manual_seed(2)
)
val_loader = DataLoader(val_set, batch_size=100)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)


model = nn.Sequential(
    nn.Linear(8, 64),
    nn.BatchNorm1d(64),
    nn.ReLU(),
    nn.Dropout(p=0.1),
    nn.Linear(64, 3),
)
model.apply(init_weights)
shared_init(model.state_dict())
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"{n_params} trainable parameters")

criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8)


def evaluate(net):
    net.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for x, y in val_loader:
            logits = net(x)
            loss_sum += criterion(logits, y).item() * y.size(0)
            correct += (logits.argmax(1) == y).sum().item()
            total += y.size(0)
    return loss_sum / total, correct / total


for epoch in range(8):
    model.train()
    running = torch.zeros(())
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        running += loss.detach() * y.size(0)
    scheduler.step()
    val_loss, val_acc = evaluate(model)
    train_loss = running / len(train_set)
    print(
        f"epoch {epoch + 1:2d} | train {train_loss:.4f} | val {val_loss:.4f} "
        f"| acc {val_acc:.1%} | lr {scheduler.get_last_lr()[0]:.5f}"
    )

state = copy.deepcopy(model.state_dict())
print("state_dict keys:", list(state.keys()))
fresh = nn.Sequential(
    nn.Linear(8, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(p=0.1), nn.Linear(64, 3)
)
missing, unexpected = fresh.load_state_dict(state)
print("missing:", missing, "unexpected:", unexpected)
fresh.eval()
model.eval()
x = torch.stack([val_set[i][0] for i in range(5)])
with torch.no_grad():
    same = torch.equal(fresh(x), model(x))
print("fresh model gives the same outputs:", same)
print(f"final val loss {val_loss:.4f} accuracy {val_acc:.4f}")
