"""Training steps of two sequence models, ember beside PyTorch from the same weights, in ms:

* ``gpt``: a character-level GPT (2 layers, 4 heads, width 128, block 64, batch 32, vocabulary
  65; pre-norm blocks of causal self-attention through ``scaled_dot_product_attention`` and a
  GELU MLP of width 512; cross-entropy; AdamW lr 3e-4).
* ``lstm``: the word-language-model LSTM (embedding 256, 2 LSTM layers of 256, dropout 0.2,
  decoder to a 10,000-word vocabulary; sequence 35, batch 20; the hidden state carried over and
  detached between steps; cross-entropy, ``clip_grad_norm_(0.25)``, SGD lr 20).

Both models are written once against a library module (``torch`` or ``ember``), so the two
libraries run the same program; ember's model gets the PyTorch model's state_dict. The GPT has a
third column (not with ``--quick``), "torch.compile": a copy of PyTorch's model through
``torch.compile``, with the seconds of its first call (the compilation) as a case of its own,
and rows of their own with ember's model through ``ember.compile`` (default mode, and
"reduce-overhead", which keeps large buffers between calls) beside PyTorch eager.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np

from ..harness import Measurement, interleave
from . import common

GPT = {"vocab": 65, "block": 64, "width": 128, "heads": 4, "layers": 2, "batch": 32}
GPT_CASE = "gpt step (2 layers, 128 wide, block 64, b32)"
LSTM = {"vocab": 10000, "width": 256, "layers": 2, "steps": 35, "batch": 20, "dropout": 0.2}


def gpt_model(lib: Any) -> Any:
    """The GPT as a Module class of ``lib``."""
    nn, F = lib.nn, lib.nn.functional
    width, heads = GPT["width"], GPT["heads"]

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.ln2 = nn.LayerNorm(width)
            self.fc = nn.Linear(width, 4 * width)
            self.out = nn.Linear(4 * width, width)

        def forward(self, x: Any) -> Any:
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(width, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).contiguous().view(b, t, c))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPTModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(GPT["vocab"], width)
            self.pos = nn.Embedding(GPT["block"], width)
            self.blocks = nn.Sequential(*[Block() for _ in range(GPT["layers"])])
            self.ln_f = nn.LayerNorm(width)
            self.head = nn.Linear(width, GPT["vocab"])

        def forward(self, idx: Any, targets: Any) -> Any:
            x = self.tok(idx) + self.pos(lib.arange(idx.shape[1]))
            logits = self.head(self.ln_f(self.blocks(x)))
            return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))

    return GPTModel()


def lstm_model(lib: Any) -> Any:
    """The word-language-model LSTM as a Module class of ``lib``."""
    nn = lib.nn
    width = LSTM["width"]

    class RNNModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(LSTM["dropout"])
            self.encoder = nn.Embedding(LSTM["vocab"], width)
            self.rnn = nn.LSTM(width, width, LSTM["layers"], dropout=LSTM["dropout"])
            self.decoder = nn.Linear(width, LSTM["vocab"])

        def forward(self, data: Any, hidden: Any) -> Any:
            output, hidden = self.rnn(self.drop(self.encoder(data)), hidden)
            return self.decoder(self.drop(output)).view(-1, LSTM["vocab"]), hidden

    return RNNModel()


def _twins(build: Any) -> dict[str, Any]:
    """The model in each library, ember's loaded with torch's weights (or seeded alone)."""
    import ember

    ember.manual_seed(0)
    models = {"ember": build(ember)}
    torch = common.torch_or_none()
    if torch is not None:
        torch.manual_seed(0)
        twin = build(torch)
        models["torch"] = twin
        state = {k: ember.tensor(v.numpy()) for k, v in twin.state_dict().items()}
        models["ember"].load_state_dict(state)
    return models


def _libs() -> dict[str, Any]:
    import ember

    libs = {"ember": ember}
    torch = common.torch_or_none()
    if torch is not None:
        libs["torch"] = torch
    return libs


def gpt_timer(lib: Any, model: Any, steps: int) -> Any:
    rng = np.random.default_rng(0)
    shape = (GPT["batch"], GPT["block"])
    x = lib.tensor(rng.integers(0, GPT["vocab"], shape))
    y = lib.tensor(rng.integers(0, GPT["vocab"], shape))
    optimizer = lib.optim.AdamW(model.parameters(), lr=3e-4)

    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad()
            model(x, y).backward()
            optimizer.step()
        return {GPT_CASE: _ms(start, steps)}

    return once


def lstm_timer(lib: Any, model: Any, steps: int) -> Any:
    rng = np.random.default_rng(0)
    shape = (LSTM["steps"], LSTM["batch"])
    data = lib.tensor(rng.integers(0, LSTM["vocab"], shape))
    targets = lib.tensor(rng.integers(0, LSTM["vocab"], shape)).view(-1)
    optimizer = lib.optim.SGD(model.parameters(), lr=20.0)
    loss_fn = lib.nn.CrossEntropyLoss()
    zeros = lib.zeros(LSTM["layers"], LSTM["batch"], LSTM["width"])
    hidden = [(zeros, zeros)]

    def once() -> dict[str, float]:
        start = time.perf_counter()
        for _ in range(steps):
            h = tuple(s.detach() for s in hidden[0])
            optimizer.zero_grad()
            output, h = model(data, h)
            loss_fn(output, targets).backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
            hidden[0] = h
        return {"lstm lm step (2x256, seq 35, b20, vocab 10k)": _ms(start, steps)}

    return once


def _ms(start: float, steps: int) -> float:
    return (time.perf_counter() - start) * 1e3 / steps


def gpt_torch_compile(twin: Any, steps: int) -> tuple[Any, Measurement] | None:
    """A timer of ``torch.compile`` of a copy of PyTorch's GPT, and the seconds of its first call
    (``steps`` steps, the compilation included); None, with the reason printed, where
    torch.compile does not work here."""
    torch = common.torch_or_none()
    timers = []

    def first(compiled: Any) -> None:
        timers.append(gpt_timer(torch, compiled, steps))
        timers[0]()

    result = common.torch_compiled(copy.deepcopy(twin), first)
    if isinstance(result, str):
        print(f"gpt: no torch.compile column ({result})")
        return None
    case = "gpt step (2 layers, 128 wide, block 64, b32), torch.compile compile time"
    return timers[0], Measurement(case, "torch.compile", "s", [result[1]])


def run(quick: bool) -> list[Measurement]:
    steps = 1 if quick else 2
    repeats = 1 if quick else 7
    results = []
    for build, timer in ((gpt_model, gpt_timer), (lstm_model, lstm_timer)):
        models = _twins(build)
        libs = _libs()
        impls = {name: timer(libs[name], model, steps) for name, model in models.items()}
        if build is gpt_model and "torch" in models and not quick:
            column = gpt_torch_compile(models["torch"], steps)
            if column is not None:
                impls["torch.compile"] = column[0]
                results.append(column[1])
        results += interleave("ms/step", impls, repeats=repeats)
    for mode in (None, "reduce-overhead"):
        results += _gpt_compiled(mode, steps, repeats)
    return results


GPT_COMPILED = f"{GPT_CASE}, compiled"


def _gpt_compiled(mode: str | None, steps: int, repeats: int) -> list[Measurement]:
    """ember's GPT through ``ember.compile`` (its first step records) beside PyTorch eager."""
    import ember

    case = GPT_COMPILED if mode is None else f"{GPT_COMPILED}, {mode}"
    models = _twins(gpt_model)
    models["ember"] = ember.compile(models["ember"], mode=mode)
    libs = _libs()
    impls = {}
    for name, model in models.items():
        timer = gpt_timer(libs[name], model, steps)
        impls[name] = lambda timer=timer: {case: timer()[GPT_CASE]}
    return interleave("ms/step", impls, repeats=repeats)
