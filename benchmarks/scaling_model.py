"""Expected data-parallel efficiency from a model of compute and allreduce time.

    python -m benchmarks.scaling_model [--step-ms 13.7] [--params 1863690]

One step on N ranks takes T_c / N (the global batch split) or T_c (a batch per rank: weak
scaling) of compute, plus a ring allreduce of the gradients, which moves 2 (N - 1) / N of them
over each link and pays 2 (N - 1) latencies per bucket; ember starts the buckets when backward
has finished, so the two add up. Efficiency is T(1) / (N T(N)) for the split batch and
T(1) / T(N) for a batch per rank.
"""

from __future__ import annotations

import argparse
import math

NETWORKS = {"10 Gb/s": (10e9 / 8, 30e-6), "100 Gb/s": (100e9 / 8, 3e-6)}  # bytes/s, latency
FIRST_BUCKET, BUCKET = 1 << 20, 25 << 20


def allreduce_seconds(n: int, nbytes: float, bandwidth: float, latency: float) -> float:
    buckets = 1 + math.ceil(max(nbytes - FIRST_BUCKET, 0) / BUCKET)
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency * buckets


def table(step_s: float, params: int, label: str) -> str:
    rows = [
        f"| {label} | network | ranks | split batch: efficiency | batch per rank: efficiency |",
        "|---|---|---:|---:|---:|",
    ]
    for network, (bandwidth, latency) in NETWORKS.items():
        for n in (8, 64):
            comm = allreduce_seconds(n, 4 * params, bandwidth, latency)
            strong = (step_s / n) / (step_s / n + comm)
            weak = step_s / (step_s + comm)
            rows.append(f"| | {network} | {n} | {strong:.0%} | {weak:.0%} |")
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--step-ms", type=float, default=13.7, help="one-rank step time (MLP b128)")
    p.add_argument("--params", type=int, default=1_863_690, help="float32 parameters (the MLP)")
    args = p.parse_args()
    step = args.step_ms / 1000
    print(table(step, args.params, "MLP 784-1024-1024-10"))
    print()
    print(table(10 * step, 10 * args.params, "10x larger"))


if __name__ == "__main__":
    main()
