"""What subnormal optimizer state costs on this CPU: one Adam step over the MLP 784-1024-1024-10
with 15% of ``exp_avg`` subnormal (at zero-gradient entries, as the 15-epoch run leaves it),
against the same step with those entries zeroed, in ember and PyTorch, and with
``set_flush_denormal(True)``.

    python -m benchmarks.subnormal_step

Thread CPU time, median of interleaved rounds (A B C A B C ...), 1 BLAS thread.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

STATES = {"subnormal (1-4 x 2^-149)": 2.0**-149 * 3, "subnormal (1e-39)": 1e-39, "zeroed": 0.0}


def ember_case(rng: Any) -> tuple[Any, list, Any]:
    import ember
    from ember import models, optim

    ember.manual_seed(0)
    params = list(models.mlp().parameters())
    opt = optim.Adam(params, lr=1e-3)
    opt._flush_every = 10**12  # this measures the state as it is
    for p in params:
        p.grad = ember.tensor((rng.standard_normal(p.shape) * 1e-3).astype("float32"))
    opt.step()
    masks = [rng.random(p.shape) < 0.15 for p in params]
    for p, m in zip(params, masks):
        p.grad._data[m] = 0
    return opt, [(opt.state[p]["exp_avg"]._data, m) for p, m in zip(params, masks)], ember


def torch_case(rng: Any) -> tuple[Any, list, Any]:
    import torch

    torch.set_num_threads(1)
    nn = torch.nn
    model = nn.Sequential(
        nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10)
    )
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    for p in params:
        p.grad = torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 1e-3).astype("float32"))
    opt.step()
    masks = [rng.random(tuple(p.shape)) < 0.15 for p in params]
    for p, m in zip(params, masks):
        p.grad[torch.from_numpy(m)] = 0
    return opt, [(opt.state[p]["exp_avg"].numpy(), m) for p, m in zip(params, masks)], torch


def main() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np

    rng = np.random.default_rng(0)
    cases = {"ember": ember_case(rng)}
    try:
        cases["torch"] = torch_case(rng)
    except ImportError:
        print("torch is not installed: ember alone")
    times: dict[str, list[float]] = {}
    for _ in range(7):
        for lib, (opt, arrays, module) in cases.items():
            for flush in (False, True):
                for state, value in STATES.items():
                    if flush and state == "zeroed":
                        continue
                    for exp_avg, mask in arrays:
                        exp_avg[mask] = value
                    module.set_flush_denormal(flush)
                    try:
                        start = time.thread_time()
                        for _ in range(3):
                            opt.step()
                        elapsed = (time.thread_time() - start) / 3
                    finally:
                        module.set_flush_denormal(False)
                    key = f"{lib:>5}, {state}" + (", set_flush_denormal(True)" if flush else "")
                    times.setdefault(key, []).append(elapsed * 1e3)
    for key, samples in times.items():
        print(f"{key:<60} {statistics.median(samples):7.2f} ms")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
