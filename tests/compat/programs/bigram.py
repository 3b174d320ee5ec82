"""A character bigram model of names: counts, then the same model as a one-layer network
trained by gradient descent; both sampled with torch.multinomial and a seeded generator."""

import os

import torch
import torch.nn.functional as F
from shared_init import shared_init

words = open(os.path.join(os.path.dirname(__file__), "names.txt")).read().splitlines()
print(
    len(words), "words; shortest", min(len(w) for w in words), "longest", max(len(w) for w in words)
)

chars = sorted(list(set("".join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)

# Counts of every pair of consecutive characters, '.' marking start and end.
N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print("most common pair count", N.max().item(), "total pairs", N.sum().item())

P = (N + 1).float()  # add-one smoothing
P /= P.sum(1, keepdims=True)


def sample(probs_of, g, n=5):
    out = []
    for _ in range(n):
        ix, name = 0, []
        while True:
            p = probs_of(ix)
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            if ix == 0:
                break
            name.append(itos[ix])
        out.append("".join(name))
    return out


g = torch.Generator().manual_seed(2147483647)
print("samples (counts):", " ".join(sample(lambda ix: P[ix], g)))

log_likelihood, n = 0.0, 0
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
        n += 1
nll = -log_likelihood
print(f"counts model: nll per pair {nll / n:.6f}")

# The same model as a network: one-hot input, a VxV weight matrix, softmax.
xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs, ys = torch.tensor(xs), torch.tensor(ys)
num = xs.nelement()
print("number of examples:", num)

g = torch.Generator().manual_seed(2147483647)
W = torch.randn((V, V), generator=g, requires_grad=True)
shared_init({"W": W})

xenc = F.one_hot(xs, num_classes=V).float()
for k in range(60):
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
    if k % 20 == 0:
        print(f"step {k}: loss {loss.item():.6f}")
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad
print(f"network model: loss {loss.item():.6f}")

print("samples (network):", " ".join(sample(lambda ix: F.softmax(W[ix], dim=0), g)))
