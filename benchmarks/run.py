"""``make bench``: every benchmark case for ember, PyTorch (when installed) and NumPy references,
in one run, with medians, spreads and ratios.

    python -m benchmarks.run [--quick] [--threads N] [--cases perop,...] [--out DIR]

Threads are pinned (1 by default) before NumPy or PyTorch is imported: two-thread timings on a
shared 2-core machine swing by 30% or more.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
from pathlib import Path

from . import targets

CASES = [
    "perop",
    "mlp",
    "cnn",
    "epoch",
    "loader",
    "memory",
    "pretrain",
    "distributed",
    "compat",
    "sequence",
    "poly",
    "charmlp",
    "optim",
    "epoch_drift",
    "compiled",
]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, few repeats (seconds)")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {CASES}")
    p.add_argument("--out", default=str(Path(__file__).parent / "results"), help="results folder")
    args = p.parse_args(argv)
    unknown = set(args.cases.split(",")) - set(CASES)
    if unknown:
        p.error(f"unknown cases {sorted(unknown)}; choose from {CASES}")
    return args


def machine() -> str:
    """A short description of the CPU this ran on."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def ratios(rows: list[dict]) -> list[dict]:
    """Per case, the ember median over each other implementation's median."""
    by_case: dict[str, dict[str, float]] = {}
    for r in rows:
        by_case.setdefault(r["case"], {})[r["impl"]] = r["median"]
    for r in rows:
        if r["impl"] == "ember":
            other = by_case[r["case"]]
            r["vs_torch"] = r["median"] / other["torch"] if "torch" in other else None
            r["vs_numpy"] = r["median"] / other["numpy"] if "numpy" in other else None
    return rows


def markdown(rows: list[dict], header: str) -> str:
    lines = [header, "", "| case | impl | median | unit | spread | ember/torch | ember/numpy |"]
    lines.append("|---|---|---:|---|---:|---:|---:|")
    for r in rows:
        vt = f"{r['vs_torch']:.2f}x" if r.get("vs_torch") else ""
        vn = f"{r['vs_numpy']:.2f}x" if r.get("vs_numpy") else ""
        lines.append(
            f"| {r['case']} | {r['impl']} | {r['median']:.4g} | {r['unit']} | "
            f"{100 * r['spread']:.0f}% | {vt} | {vn} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    for var in THREAD_VARS:
        os.environ[var] = str(args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        print("torch is not installed: ember is measured alone (pip install torch==2.13.0)")
    rows: list[dict] = []
    for name in args.cases.split(","):
        module = importlib.import_module(f"benchmarks.cases.{name}")
        print(f"running {name} ...", flush=True)
        rows.extend(m.as_dict() for m in module.run(args.quick))
    rows = ratios(rows)
    stamp = datetime.date.today().isoformat()
    tag = "quick" if args.quick else f"{args.threads}thread"
    header = f"# ember benchmarks, {stamp}\n\n{machine()}; {args.threads} thread(s)" + (
        "; --quick" if args.quick else ""
    )
    table = markdown(rows, header) + targets.markdown(rows)
    print("\n" + table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{stamp}-{platform.node() or 'machine'}-{tag}"
    meta = {"date": stamp, "machine": machine(), "threads": args.threads, "quick": args.quick}
    base.with_suffix(".json").write_text(json.dumps({**meta, "results": rows}, indent=1) + "\n")
    base.with_suffix(".md").write_text(table)
    print(f"wrote {base}.json and {base}.md")
    return 0


if __name__ == "__main__":
    if "numpy" in sys.modules:
        raise SystemExit("run benchmarks.run as a fresh process so that thread pinning applies")
    sys.exit(main())
