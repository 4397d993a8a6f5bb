#!/usr/bin/python3
"""latent's CUDA backend against PyTorch on the same GPU, side by side in one run (issue 7).

On the GPU machine, from the repository root:
  cmake -S . -B build && cmake --build build --target bench_gpu_train_speed -j
  python3 benchmarks/gpu/run.py --build build [--epochs 3] [--data DIR|synthetic] [--out benchmarks/RESULTS.md]

Each configuration runs in its own process: deep3 (784-128-64-12-3 and back, ReLU, Sigmoid, MSE, Adam 1e-3 with
weight decay 1e-5) at batch 64 and at batch 1024, trained by latent on the GPU with each step captured as a CUDA
graph (backend::cuda) and launched kernel by kernel (basic_cuda<false>), by PyTorch on the same GPU (data resident
on the device, randperm on the device, the loss summed on the device and read once per epoch), and by latent on the
CPU for the final-loss check. s/epoch is the best of the epochs after the first (the first includes cuBLAS'
start-up, the graph capture and PyTorch's warm-up). It prints a table and replaces the GPU section of --out.
The conv model is not measured: the cuda backend has no Conv2D kernel yet (the CPU backend has one).
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("LATENT_DATA_DIR", "/usr/share/datasets/fashion-mnist")
BEGIN, END = "<!-- gpu-results: written by benchmarks/gpu/run.py -->", "<!-- end of gpu-results -->"
TARGETS = {64: 0.15, 1024: 0.04}  # s/epoch, issue 7
PYTORCH_REFERENCE = {64: 2.76, 1024: 0.162}  # ../shared/reference/pytorch_gpu_h100.jsonl


def images(data, name, seed, n):
    import gzip
    import struct
    import numpy as np
    if data == "synthetic":
        return np.random.default_rng(seed).integers(0, 256, size=(n, 784)).astype(np.float32) / 255.0
    with gzip.open(os.path.join(data, name), "rb") as f:
        raw = f.read()
    _, _, ndim = struct.unpack(">HBB", raw[:4])
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims[0], -1).astype(np.float32) / 255.0


def torch_child(args):
    import torch
    import torch.nn as nn
    torch.manual_seed(args.seed)
    device = torch.device("cuda")
    x_train = torch.from_numpy(images(args.data, "train-images-idx3-ubyte.gz", args.seed, 60000)).to(device)
    x_test = torch.from_numpy(images(args.data, "t10k-images-idx3-ubyte.gz", args.seed + 1, 10000)).to(device)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 12),
                          nn.ReLU(), nn.Linear(12, 3), nn.Linear(3, 12), nn.ReLU(), nn.Linear(12, 64),
                          nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid()).to(device)
    loss_fn = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    n, batch = x_train.shape[0], args.batch
    seconds, train_loss = [], float("nan")
    for _ in range(args.epochs):
        model.train()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        total = torch.zeros((), device=device)
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch):
            x = x_train[perm[i:i + batch]]
            loss = loss_fn(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.detach() * x.shape[0]
        train_loss = total.item() / n  # synchronizes
        seconds.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        test = sum(nn.functional.mse_loss(model(x_test[i:i + 1000]), x_test[i:i + 1000], reduction="sum").item()
                   for i in range(0, x_test.shape[0], 1000)) / (x_test.shape[0] * 784)
    print(json.dumps(dict(library="pytorch", backend="cuda", model="deep3", batch=batch, epoch_seconds=seconds,
                          final_train_loss=train_loss, test_loss=test, torch=torch.__version__,
                          gpu=torch.cuda.get_device_name())), flush=True)


def run_json(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": (result.stderr or result.stdout).strip()[-400:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def steady(r):
    """The best s/epoch after the first epoch (or of the only one)."""
    s = r.get("epoch_seconds") or [float("nan")]
    return min(s[1:] if len(s) > 1 else s)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", help="the CMake build directory holding benchmarks/bench_gpu_train_speed")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default=DATA, help="the Fashion-MNIST folder, or 'synthetic' where there is none")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "RESULTS.md"), help="Markdown report ('' for none)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, default=64, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return torch_child(args)
    if args.data != "synthetic" and not os.path.isdir(args.data):
        print(f"no Fashion-MNIST at {args.data}: using --data synthetic", file=sys.stderr)
        args.data = "synthetic"
    bench = os.path.join(args.build, "benchmarks", "bench_gpu_train_speed")
    common = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--data", args.data]
    rows, lines = [], []
    for batch in (64, 1024):
        latent = {b: run_json([bench, "--backend", b, "--batch", str(batch)] + common)
                  for b in ("cuda", "cuda_uncaptured", "cpu")}
        torch = run_json([sys.executable, os.path.abspath(__file__), "--child", "--batch", str(batch),
                          "--epochs", str(args.epochs), "--seed", str(args.seed), "--data", args.data])
        rows.append((batch, latent, torch))
    gpu = next((t.get("gpu") for _, _, t in rows if "gpu" in t), "unknown GPU")
    lines.append(f"deep3 on {gpu}, {args.epochs} epochs, data: {args.data}; s/epoch is the best epoch after the first.")
    lines.append("")
    lines.append("| batch | latent cuda (graph) | latent cuda (no graph) | PyTorch | PyTorch / latent | target | "
                 "final train loss: GPU vs latent CPU | test loss latent / PyTorch |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for batch, latent, torch in rows:
        errors = [f"{k}: {r['error']}" for k, r in list(latent.items()) + [("pytorch", torch)] if "error" in r]
        if errors:
            lines.append(f"| {batch} | failed: {'; '.join(errors)} |||||||")
            continue
        graph, eager, cpu = latent["cuda"], latent["cuda_uncaptured"], latent["cpu"]
        best = min(steady(graph), steady(eager))
        loss_gap = abs(graph["final_train_loss"] - cpu["final_train_loss"]) / cpu["final_train_loss"]
        lines.append(f"| {batch} | {steady(graph):.4f} s | {steady(eager):.4f} s | {steady(torch):.4f} s | "
                     f"{steady(torch) / best:.1f}x | <= {TARGETS[batch]} s: {'met' if best <= TARGETS[batch] else 'NOT met'} | "
                     f"{graph['final_train_loss']:.5f} vs {cpu['final_train_loss']:.5f} ({100 * loss_gap:.2f} %, "
                     f"{'within' if loss_gap <= 0.02 else 'NOT within'} 2 %) | "
                     f"{graph['test_loss']:.5f} / {torch['test_loss']:.5f} |")
    lines.append("")
    lines.append(f"PyTorch reference (../shared/reference/pytorch_gpu_h100.jsonl): {PYTORCH_REFERENCE[64]} s at batch 64, "
                 f"{PYTORCH_REFERENCE[1024]} s at batch 1024. The conv model is not measured: the cuda backend has no Conv2D kernel yet.")
    report = "\n".join(lines)
    print(report)
    if args.out:
        text = open(args.out).read() if os.path.exists(args.out) else ""
        section = f"{BEGIN}\n## GPU: deep3 on the CUDA backend against PyTorch\n\n{report}\n{END}"
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
