"""Where subnormal float32 values arise in the default ``ember train`` MLP run.

    python -m benchmarks.subnormal_census [--epochs 15] [--every 47] [--out FILE]

Trains ember's default MLP (784-1024-1024-10, ReLU, Adam 1e-3, cosine schedule, batch 128) on
Fashion-MNIST exactly as ``ember train`` does, and every ``--every`` steps counts the nonzero
entries below float32's smallest normal (1.18e-38) in every activation, every activation
gradient, the softmax probabilities, the cross-entropy gradient of the logits, every parameter
gradient and Adam's ``exp_avg`` / ``exp_avg_sq``. It also says how many subnormal ``exp_avg``
entries had an exactly-zero gradient at that step, and why the first layer's gradients are zero
(a pixel that is 0 in the whole batch, or a hidden unit that no example of the batch activates).
Writes the per-epoch mean counts as JSON; prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

TINY = np.finfo(np.float32).tiny


def subnormal_count(a: np.ndarray) -> int:
    a = np.abs(a)
    return int(np.count_nonzero((a < TINY) & (a > 0)))


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.subnormal_census")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--every", type=int, default=47, help="sample every N steps")
    p.add_argument("--flush", action="store_true", help="ember.set_flush_denormal(True) first")
    p.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / "subnormal-census-mlp-15ep.json"),
    )
    return p.parse_args()


def main() -> None:
    args = parse()
    import ember
    from ember import models, nn, optim
    from ember.cli.train import load_data, make_loader
    from ember.ops.nn import softmax_array

    if args.flush:
        ember.set_flush_denormal(True)
    ember.manual_seed(0)
    model = models.mlp()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = ember.Generator().manual_seed(0)
    x, y = load_data("fashion-mnist", train=True)
    loader = make_loader(x, y, 128, True, gen)
    loss_fn = nn.CrossEntropyLoss()
    names = {id(p): n for n, p in model.named_parameters()}
    layers = [(f"{i}.{type(m).__name__}", m) for i, m in enumerate(model) if i > 0]
    outputs: dict[str, object] = {}

    def keep(name):
        def hook(_module, _args, out):
            out.retain_grad()
            outputs[name] = out

        return hook

    for name, m in layers:
        m.register_forward_hook(keep(name))
    epochs = []
    step = 0
    for epoch in range(1, args.epochs + 1):
        sums: dict[str, float] = defaultdict(float)
        samples = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for inputs, target in loader:
            step += 1
            opt.zero_grad()
            logits = model(inputs)
            loss = loss_fn(logits, target)
            loss.backward()
            opt.step()
            if step % args.every:
                continue
            samples += 1
            z = logits._data
            sums["softmax probabilities"] += subnormal_count(softmax_array(z, (1,)))
            for name, out in outputs.items():
                sums[f"activation {name}"] += subnormal_count(out._data)
                sums[f"grad of {name} output"] += subnormal_count(out.grad._data)
            for p in model.parameters():
                n = names[id(p)]
                g, st = p.grad._data, opt.state[p]
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                sums[f"grad {n}"] += subnormal_count(g)
                sums[f"exp_avg {n}"] += subnormal_count(m)
                sums[f"exp_avg_sq {n}"] += subnormal_count(v)
                tiny_m = (np.abs(m) < TINY) & (m != 0)
                sums["zero-grad subnormal exp_avg"] += int(np.count_nonzero(tiny_m & (g == 0)))
                sums["state entries"] += m.size
            w1 = model[1].weight.grad._data
            pixels0 = ~np.any(inputs._data.reshape(len(inputs), -1) != 0, axis=0)
            units0 = ~np.any(outputs["2.ReLU"]._data != 0, axis=0)
            sums["1.weight zero grads"] += int(np.count_nonzero(w1 == 0))
            sums["1.weight zero grads, pixel 0 in batch"] += int(pixels0.sum()) * w1.shape[0]
            sums["1.weight zero grads, unit dead in batch"] += int(units0.sum()) * w1.shape[1]
        scheduler.step()
        record = {k: v / max(samples, 1) for k, v in sums.items()}
        record.update(
            epoch=epoch,
            samples=samples,
            wall_s=time.perf_counter() - wall,
            cpu_s=time.process_time() - cpu,
        )
        epochs.append(record)
        print(
            f"epoch {epoch:>2}: exp_avg subnormal "
            f"{sum(v for k, v in record.items() if k.startswith('exp_avg ')) / 1e3:.0f}k, "
            f"with zero grad {record['zero-grad subnormal exp_avg'] / 1e3:.0f}k, "
            f"softmax {record['softmax probabilities']:.1f}, "
            f"logit grad {record['grad of 5.Linear output']:.1f}, "
            f"{record['cpu_s']:.1f} s CPU",
            flush=True,
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"args": vars(args), "loadavg": os.getloadavg()}
    out.write_text(json.dumps({**meta, "epochs": epochs}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
