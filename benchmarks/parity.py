#!/usr/bin/python3
"""Loss parity: trains the tutorial autoencoders for 5 epochs with latent (its examples) and with PyTorch
(same architecture, initialisation scheme, optimizer, batch size and shuffling policy) over several seeds,
and prints both test losses side by side.

A model passes when latent's mean test loss differs from PyTorch's mean by at most 3%, or by at most the
spread (max - min) of PyTorch's own results over the seeds where that is wider.

  /usr/bin/python3 benchmarks/parity.py --build build [--seeds 1,2,3] [--epochs 5] [--models simple,deep3,deep3tanh]
"""
import argparse
import gzip
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile

DATA = os.environ.get("LATENT_DATA_DIR", "/usr/share/datasets/fashion-mnist")

# model: (latent example, loss printed by it, hidden activation, Adam learning rate, weight decay, batch)
MODELS = {
    "simple": ("simple_autoencoder", "BCE", None, 1e-3, 0.0, 64),
    "deep3": ("deep_autoencoder", "MSE", "relu", 1e-3, 1e-5, 64),
    "deep3tanh": ("latent_space", "MSE", "tanh", 5e-3, 0.0, 64),
}


def read_images(name):
    import numpy as np
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    _, _, ndim = struct.unpack(">HBB", data[:4])
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    pixels = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims[0], -1)
    return pixels.astype(np.float32) / 255.0


def torch_test_loss(model_name, seed, epochs):
    import torch
    import torch.nn as nn
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x_train = torch.from_numpy(read_images("train-images-idx3-ubyte.gz"))
    x_test = torch.from_numpy(read_images("t10k-images-idx3-ubyte.gz"))
    _, loss_name, activation, lr, weight_decay, batch = MODELS[model_name]
    if activation is None:
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid())
    else:
        act = nn.ReLU if activation == "relu" else nn.Tanh
        model = nn.Sequential(nn.Linear(784, 128), act(), nn.Linear(128, 64), act(), nn.Linear(64, 12), act(),
                              nn.Linear(12, 3), nn.Linear(3, 12), act(), nn.Linear(12, 64), act(),
                              nn.Linear(64, 128), act(), nn.Linear(128, 784), nn.Sigmoid())
    criterion = nn.BCELoss() if loss_name == "BCE" else nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        order = torch.randperm(len(x_train))
        for first in range(0, len(x_train), batch):
            x = x_train[order[first:first + batch]]
            optimizer.zero_grad()
            criterion(model(x), x).backward()
            optimizer.step()
    with torch.no_grad():
        return criterion(model(x_test), x_test).item()


def latent_test_loss(build, model_name, seed, epochs):
    example, loss_name = MODELS[model_name][:2]
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([os.path.join(build, "examples", example), "--epochs", str(epochs), "--seed", str(seed),
                              "--out", out], capture_output=True, text=True, check=True)
    match = re.search(r"final test " + loss_name + r": ([0-9.eE+-]+)", run.stdout)
    if not match:
        sys.exit(f"{example} printed no final test {loss_name}:\n{run.stdout}\n{run.stderr}")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="latent's CMake build directory (with examples/)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    rows, all_pass = [], True
    for name in args.models.split(","):
        ours = [latent_test_loss(args.build, name, s, args.epochs) for s in seeds]
        theirs = [torch_test_loss(name, s, args.epochs) for s in seeds]
        ours_mean, theirs_mean = statistics.mean(ours), statistics.mean(theirs)
        relative = ours_mean / theirs_mean - 1
        tolerance = max(0.03 * theirs_mean, max(theirs) - min(theirs))
        passed = abs(ours_mean - theirs_mean) <= tolerance
        all_pass &= passed
        rows.append((name, MODELS[name][1], theirs, ours, relative, tolerance / theirs_mean, passed))
        print(f"{name}: PyTorch {theirs}, latent {ours}", file=sys.stderr, flush=True)

    print(f"\nTest loss after {args.epochs} epochs, seeds {seeds} (Fashion-MNIST, 1 thread)\n")
    print("| model | loss | PyTorch mean (min..max) | latent mean (min..max) | latent / PyTorch - 1 | allowed | parity |")
    print("|---|---|---|---|---|---|---|")
    for name, loss, theirs, ours, relative, allowed, passed in rows:
        print(f"| {name} | {loss} | {statistics.mean(theirs):.4f} ({min(theirs):.4f}..{max(theirs):.4f}) | "
              f"{statistics.mean(ours):.4f} ({min(ours):.4f}..{max(ours):.4f}) | {relative:+.1%} | "
              f"{allowed:.1%} | {'yes' if passed else 'NO'} |")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
