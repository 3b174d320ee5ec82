"""The performance targets, checked against one run's results (ratios within the same run).

A target is either a ratio, ember's median over another implementation's median in the same
case (a time or a memory: lower is better), or a bound on ember's own median.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    label: str
    case: str
    limit: float
    other: str | None = None  # None: ember's median itself must stay under ``limit``

    def measure(self, medians: dict[tuple[str, str], float]) -> float | None:
        ours = medians.get((self.case, "ember"))
        if ours is None:
            return None
        if self.other is None:
            return ours
        theirs = medians.get((self.case, self.other))
        return None if theirs is None else ours / theirs


def _mlp(batch: int, other: str, limit: float) -> list[Target]:
    name = {"torch": "PyTorch", "numpy": "NumPy reference"}[other]
    return [
        Target(
            f"MLP {act} step, batch {batch} <= {limit}x {name}",
            f"mlp {act} b{batch} step",
            limit,
            other,
        )
        for act in ("relu", "sigmoid")
    ]


def _compiled_mlp(batch: int) -> Target:
    return Target(
        f"MLP relu step compiled, batch {batch} <= 1.0x NumPy reference",
        f"mlp relu b{batch} step, compiled",
        1.0,
        "numpy",
    )


TARGETS = [
    Target("per-op forward+backward <= 0.6x PyTorch", "per-op forward+backward", 0.6, "torch"),
    *_mlp(128, "torch", 1.0),
    *_mlp(128, "numpy", 1.1),
    *_mlp(512, "torch", 1.0),
    *_mlp(512, "numpy", 1.1),
    *_mlp(32, "numpy", 1.2),
    Target("CNN step <= 1.0x PyTorch", "cnn step b64", 1.0, "torch"),
    Target(
        "GPT training step <= 1.5x PyTorch",
        "gpt step (2 layers, 128 wide, block 64, b32)",
        1.5,
        "torch",
    ),
    Target(
        "character GPT step, compiled <= 0.8x PyTorch eager",
        "gpt step (2 layers, 128 wide, block 64, b32), compiled",
        0.8,
        "torch",
    ),
    Target(
        "LSTM language-model step <= 1.5x PyTorch",
        "lstm lm step (2x256, seq 35, b20, vocab 10k)",
        1.5,
        "torch",
    ),
    Target("epoch <= 1.1x NumPy reference", "epoch 60000 samples b128", 1.1, "numpy"),
    Target(
        "peak memory increase <= 1.25x NumPy reference",
        "peak memory, mlp b512 20 steps",
        1.25,
        "numpy",
    ),
    *(
        Target(
            f"all_reduce of {n:,} floats <= 1.05x mpi4py's Allreduce",
            f"allreduce {n} floats",
            1.05,
            "numpy",
        )
        for n in (1_000_000, 4_000_000)  # 4 and 16 MB: from 1 MB up
    ),
    Target(
        "polynomial loop (30,000 steps), eager <= 1.0x PyTorch",
        "poly loop, 30,000 steps",
        1.0,
        "torch",
    ),
    Target(
        "character MLP step, eager, fused SGD <= 0.8x PyTorch",
        "char mlp step, eager, fused SGD",
        0.8,
        "torch",
    ),
    Target(
        "character MLP step, compiled, fused SGD <= 0.4x PyTorch eager",
        "char mlp step, compiled, fused SGD",
        0.4,
        "torch",
    ),
    *(
        Target(
            f"optimizer step on small tensors, {opt}, {model}, flat <= 1.0x PyTorch fused",
            f"optim {opt.lower()} step, {model}, flat",
            1.0,
            "torch",
        )
        for opt, model in [
            ("SGD", "char MLP (5 tensors)"),
            ("Adam", "char MLP (5 tensors)"),
            ("Adam", "20-layer MLP (40 tensors)"),
        ]
    ),
    Target(
        "default ember train MLP run, 15 epochs: last epoch <= 1.15x the first (CPU time)",
        "mlp 15-epoch run, last epoch / first (CPU)",
        1.15,
    ),
    Target("import ember < 0.3 s", "import time", 0.3),
    Target("import ember < 40 MiB RSS", "import RSS", 40.0),
    Target(
        "1,000-op chain compiled, forward+backward <= 0.3x PyTorch eager",
        "per-op forward+backward, compiled",
        0.3,
        "torch",
    ),
    *(_compiled_mlp(b) for b in (32, 128, 512)),
    Target(
        "compiled MLP step peak memory <= eager's",
        "peak memory, mlp b512 step, compiled",
        1.0,
        "ember-eager",
    ),
    Target(
        "recording (first call) <= 3x one eager call",
        "recording, mlp relu b128 (first call)",
        3.0,
        "ember-eager",
    ),
]


def markdown(rows: list[dict]) -> str:
    """A table of the targets this run measured: the figure and whether it holds."""
    medians = {(r["case"], r["impl"]): r["median"] for r in rows}
    lines = ["| target | measured | holds |", "|---|---:|---|"]
    for t in TARGETS:
        value = t.measure(medians)
        if value is None:
            continue
        figure = f"{value:.3f}x" if t.other else f"{value:.3g}"
        holds = value <= t.limit if t.other else value < t.limit
        lines.append(f"| {t.label} | {figure} | {'yes' if holds else '**no**'} |")
    if len(lines) == 2:
        return ""
    return "\n## Targets\n\n" + "\n".join(lines) + "\n"
