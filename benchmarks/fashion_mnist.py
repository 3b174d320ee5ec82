"""Fashion-MNIST accuracy and time per epoch: ember's defaults (``ember train``) beside the same
configuration in PyTorch, on this machine.

    python -m benchmarks.fashion_mnist --model mlp|cnn [--epochs 15] [--libs ember,torch]

Same data, same architecture, same optimizer (Adam) and cosine learning-rate schedule, same batch
order rule (a seeded shuffle per epoch); each library starts from its own default initialisation.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fashion_mnist")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--libs", default="ember,torch")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    return p.parse_args()


def ember_run(args: argparse.Namespace, data: dict) -> list[dict]:
    import ember
    from ember import models, nn, optim
    from ember.cli.train import make_loader
    from ember.train import fit

    ember.manual_seed(args.seed)
    model = models.cnn() if args.model == "cnn" else models.mlp()
    opt = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = ember.Generator().manual_seed(args.seed)
    train = make_loader(data["train_x"], data["train_y"], args.batch_size, True, gen)
    test = make_loader(data["test_x"], data["test_y"], 1000, False, None)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(
        model,
        loss_fn,
        opt,
        train,
        args.epochs,
        val_loader=test,
        scheduler=scheduler,
        progress=False,
    )
    return [{k: r[k] for k in ("epoch", "seconds", "val_accuracy")} for r in history.records]


def torch_run(args: argparse.Namespace, data: dict) -> list[dict]:
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    nn = torch.nn
    if args.model == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
        )  # fmt: skip
    else:
        model = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(),
            nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10),
        )  # fmt: skip
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    tx, ty = torch.tensor(data["train_x"]), torch.tensor(data["train_y"])
    vx, vy = torch.tensor(data["test_x"]), torch.tensor(data["test_y"])
    gen = torch.Generator().manual_seed(args.seed)
    dataset = torch.utils.data.TensorDataset(tx, ty)
    train = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, generator=gen
    )
    records = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        for x, y in train:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        seconds = time.perf_counter() - start
        scheduler.step()
        model.eval()
        with torch.no_grad():
            correct = sum(
                int((model(vx[i : i + 1000]).argmax(1) == vy[i : i + 1000]).sum())
                for i in range(0, len(vy), 1000)
            )
        records.append({"epoch": epoch, "seconds": seconds, "val_accuracy": correct / len(vy)})
    return records


def main() -> None:
    args = parse()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    from ember.cli.train import load_data

    train_x, train_y = load_data("fashion-mnist", train=True)
    test_x, test_y = load_data("fashion-mnist", train=False)
    data = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}
    results = {}
    for lib in args.libs.split(","):
        records = (ember_run if lib == "ember" else torch_run)(args, data)
        best = max(records, key=lambda r: r["val_accuracy"])
        results[lib] = {
            "records": records,
            "final_accuracy": records[-1]["val_accuracy"],
            "best_accuracy": best["val_accuracy"],
            "best_epoch": best["epoch"],
            "median_seconds_per_epoch": sorted(r["seconds"] for r in records)[len(records) // 2],
        }
        r = results[lib]
        print(
            f"{lib:>6} {args.model}: final test accuracy {r['final_accuracy']:.4f}, best "
            f"{r['best_accuracy']:.4f} (epoch {r['best_epoch']}), "
            f"{r['median_seconds_per_epoch']:.1f} s/epoch ({args.threads} thread)"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"fashion-mnist-{args.model}-{args.epochs}ep-{args.threads}thread.json"
    path.write_text(json.dumps({"args": vars(args), "results": results}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
