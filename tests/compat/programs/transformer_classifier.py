"""Sequence classification with nn.TransformerEncoder: does a sequence of tokens hold more 'a'
tokens than 'b' tokens? Sinusoidal positions in a buffer, a padding mask, mean pooling."""

import math

import numpy as np
import torch
from shared_init import shared_init
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

PAD, A, B = 0, 1, 2
VOCAB, MAX_LEN = 8, 24


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    tokens = np.full((n, MAX_LEN), PAD, dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        length = rng.integers(8, MAX_LEN + 1)
        seq = rng.integers(1, VOCAB, size=length)
        tokens[i, :length] = seq
        labels[i] = int((seq == A).sum() > (seq == B).sum())
    return torch.from_numpy(tokens), torch.from_numpy(labels)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=MAX_LEN):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]


class Classifier(nn.Module):
    def __init__(self, d_model=32, nhead=4, num_layers=2, dim_feedforward=64, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, dropout, batch_first=True, activation="gelu"
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 2)

    def forward(self, tokens):
        padding = tokens == PAD
        x = self.pos(self.embed(tokens) * math.sqrt(self.embed.embedding_dim))
        x = self.encoder(x, src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).float()
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1)
        return self.head(pooled)


torch.manual_seed(0)
train_x, train_y = make_data(512, seed=0)
test_x, test_y = make_data(256, seed=1)
loader = DataLoader(TensorDataset(train_x, train_y), batch_size=64)

model = Classifier()
shared_init(model.state_dict())
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(1, 7):
    model.train()
    total = 0.0
    for tokens, labels in loader:
        optimizer.zero_grad()
        loss = criterion(model(tokens), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
    model.eval()
    with torch.no_grad():
        logits = model(test_x)
        accuracy = (logits.argmax(dim=-1) == test_y).float().mean().item()
    print(f"epoch {epoch}: train loss {total / len(train_y):.6f}, test accuracy {accuracy:.4f}")
