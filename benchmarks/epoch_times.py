"""Per-epoch times of the default ``ember train`` MLP run (15 epochs), with and without the fixes
for subnormal floats, beside PyTorch with and without ``set_flush_denormal``.

    python -m benchmarks.epoch_times [--variants ember,torch,...] [--epochs 15] [--out FILE]

Each variant trains its own copy of the run (784-1024-1024-10 ReLU MLP, Adam 1e-3, cosine schedule
stepped per epoch, batch 128, seeded shuffle). The variants take turns epoch by epoch in this
process (the order rotates), so load on a shared machine falls on all of them alike. Per epoch it
records wall time and this process's CPU time (1 BLAS thread, so CPU time is the training's own),
the load average and the number of subnormal entries in the optimizer's state (counted after
the epoch's time is taken); at the end, test accuracy and a hash of the final weights (equal hashes:
bit-identical training). The JSON is rewritten after every epoch; ``make bench`` reads its ratio of
last to first epoch (``benchmarks/cases/epoch_drift.py``).

Variants: ``ember`` (as shipped: the optimizer zeroes subnormal state every 100 steps),
``ember-no-state-flush`` (that pass off: the behaviour before it), ``torch`` (PyTorch as is) and
``torch-flush-denormal`` (PyTorch with FTZ/DAZ on).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from .cases.epoch_drift import RESULT


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.epoch_times")
    p.add_argument("--variants", default=",".join(VARIANTS), help=f"a subset of {VARIANTS}")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--out", default=str(RESULT))
    return p.parse_args()


class EmberRun:
    def __init__(self, epochs: int, data: dict, flush_state: bool) -> None:
        import ember
        from ember import models, nn, optim
        from ember.cli.train import make_loader

        ember.manual_seed(0)
        self.model = models.mlp()
        self.opt = optim.Adam(self.model.parameters(), lr=1e-3)
        if not flush_state:
            self.opt._flush_every = 10**12
        self.scheduler = optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)
        gen = ember.Generator().manual_seed(0)
        self.loader = make_loader(data["train_x"], data["train_y"], 128, True, gen)
        self.test = make_loader(data["test_x"], data["test_y"], 1000, False, None)
        self.loss_fn = nn.CrossEntropyLoss()

    def epoch(self, epoch: int) -> None:
        from ember.train import fit

        fit(
            self.model,
            self.loss_fn,
            self.opt,
            self.loader,
            epochs=epoch,
            start_epoch=epoch,
            scheduler=self.scheduler,
            progress=False,
        )

    def accuracy(self) -> float:
        from ember.train import evaluate

        return evaluate(self.model, self.test)["accuracy"]

    def weights(self) -> list:
        return [p._data for p in self.model.parameters()]

    def state_arrays(self) -> list:
        return [v._data for s in self.opt.state.values() for v in s.values() if v.ndim]


class TorchRun:
    def __init__(self, epochs: int, data: dict, flush_denormal: bool) -> None:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        nn = torch.nn
        self.model = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(),
            nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10),
        )  # fmt: skip
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)
        self.loss_fn = nn.CrossEntropyLoss()
        dataset = torch.utils.data.TensorDataset(
            torch.tensor(data["train_x"]), torch.tensor(data["train_y"])
        )
        gen = torch.Generator().manual_seed(0)
        self.loader = torch.utils.data.DataLoader(dataset, 128, shuffle=True, generator=gen)
        self.test = torch.tensor(data["test_x"]), torch.tensor(data["test_y"])
        self.flush_denormal = flush_denormal

    def epoch(self, epoch: int) -> None:
        import torch

        torch.set_flush_denormal(self.flush_denormal)
        try:
            self.model.train()
            for x, y in self.loader:
                self.opt.zero_grad()
                self.loss_fn(self.model(x), y).backward()
                self.opt.step()
            self.scheduler.step()
        finally:
            torch.set_flush_denormal(False)

    def accuracy(self) -> float:
        import torch

        x, y = self.test
        self.model.eval()
        with torch.no_grad():
            return float((self.model(x).argmax(1) == y).float().mean())

    def weights(self) -> list:
        return [p.detach().numpy() for p in self.model.parameters()]

    def state_arrays(self) -> list:
        return [v.numpy() for s in self.opt.state.values() for v in s.values() if v.ndim]


VARIANTS = ["ember", "ember-no-state-flush", "torch", "torch-flush-denormal"]


def variants(names: list[str], epochs: int, data: dict) -> dict[str, Any]:
    unknown = set(names) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
    make = {
        "ember": lambda: EmberRun(epochs, data, flush_state=True),
        "ember-no-state-flush": lambda: EmberRun(epochs, data, flush_state=False),
        "torch": lambda: TorchRun(epochs, data, flush_denormal=False),
        "torch-flush-denormal": lambda: TorchRun(epochs, data, flush_denormal=True),
    }
    return {name: make[name]() for name in names}


def timed_epoch(run: Any, epoch: int) -> dict[str, Any]:
    """Train ``run`` for one epoch; its wall and CPU time, the load and the state's subnormals."""
    wall, cpu = time.perf_counter(), time.process_time()
    run.epoch(epoch)
    return {
        "epoch": epoch,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "loadavg_1min": os.getloadavg()[0],
        "subnormal_state_entries": sum(map(subnormal_count, run.state_arrays())),
    }


def subnormal_count(a: Any) -> int:
    import numpy as np

    return int(np.count_nonzero((np.abs(a) < np.finfo(a.dtype).tiny) & (a != 0)))


def summary(records: list[dict]) -> dict[str, float]:
    first, last = records[0], records[-1]
    return {
        "last_over_first_wall": last["wall_s"] / first["wall_s"],
        "last_over_first_cpu": last["cpu_s"] / first["cpu_s"],
    }


def main() -> None:
    args = parse()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"  # before NumPy or PyTorch loads its BLAS
    from ember.cli.train import load_data

    train_x, train_y = load_data("fashion-mnist", train=True)
    test_x, test_y = load_data("fashion-mnist", train=False)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    runs = variants(args.variants.split(","), args.epochs, data)
    names = list(runs)
    results: dict[str, dict] = {name: {"records": []} for name in names}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for epoch in range(1, args.epochs + 1):
        shift = (epoch - 1) % len(names)
        for name in names[shift:] + names[:shift]:
            record = timed_epoch(runs[name], epoch)
            results[name]["records"].append(record)
            print(
                f"{name:>28} epoch {epoch:>2}: {record['wall_s']:6.1f} s wall, "
                f"{record['cpu_s']:6.1f} s CPU, load {record['loadavg_1min']:.1f}, "
                f"{record['subnormal_state_entries']} subnormal state entries",
                flush=True,
            )
        for name in names:
            results[name].update(summary(results[name]["records"]))
        if epoch == args.epochs:
            for name in names:
                digest = hashlib.sha256(b"".join(w.tobytes() for w in runs[name].weights()))
                results[name]["test_accuracy"] = runs[name].accuracy()
                results[name]["weights_sha256"] = digest.hexdigest()
        meta = {"args": vars(args), "epochs_done": epoch, "threads": 1}
        out.write_text(json.dumps({**meta, "results": results}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
