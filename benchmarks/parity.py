#!/usr/bin/python3
"""Loss parity: trains the tutorial autoencoders for 5 epochs with latent (its examples) and with PyTorch
(same architecture, initialisation scheme, optimizer, batch size and shuffling policy) over several seeds,
and prints both test losses side by side.

A model passes when latent's mean test figure differs from PyTorch's mean by at most 3% (2% for the VAE, 5% for
the conv autoencoder), or
by at most the spread (max - min) of PyTorch's own results over the seeds where that is wider.

  /usr/bin/python3 benchmarks/parity.py --build build [--seeds 1,2,3] [--epochs 5]
                                        [--models simple,deep3,deep3tanh,denoise,vae,conv]

conv is the Keras tutorial's convolutional autoencoder (examples/12_conv_autoencoder.cpp): both libraries train on
the first 55,000 training images (the example holds the last 5,000 out for validation), Keras initialisation,
Adam epsilon 1e-7; about a minute per epoch per library on one core.
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

# model: (latent example, figure it prints as "final test <figure>: X", Adam learning rate, weight decay, batch)
MODELS = {
    "simple": ("simple_autoencoder", "BCE", 1e-3, 0.0, 64),
    "deep3": ("deep_autoencoder", "MSE", 1e-3, 1e-5, 64),
    "deep3tanh": ("latent_space", "MSE", 5e-3, 0.0, 64),
    "denoise": ("denoising_autoencoder", "MSE", 1e-3, 0.0, 128),
    "vae": ("variational_autoencoder", "negative ELBO per sample", 1e-3, 0.0, 128),
    "conv": ("conv_autoencoder", "MSE", 1e-3, 0.0, 128),
}
CONV_TRAIN = 55_000
DENOISE_STD = 0.3
RELATIVE_TOLERANCE = {"vae": 0.02, "conv": 0.05}  # the others: 0.03


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
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x_train = torch.from_numpy(read_images("train-images-idx3-ubyte.gz"))
    x_test = torch.from_numpy(read_images("t10k-images-idx3-ubyte.gz"))
    _, figure, lr, weight_decay, batch = MODELS[model_name]

    def deep3(act):
        return nn.Sequential(nn.Linear(784, 128), act(), nn.Linear(128, 64), act(), nn.Linear(64, 12), act(),
                             nn.Linear(12, 3), nn.Linear(3, 12), act(), nn.Linear(12, 64), act(),
                             nn.Linear(64, 128), act(), nn.Linear(128, 784), nn.Sigmoid())

    class Vae(nn.Module):  # pytorch/examples vae/main.py
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    def vae_loss(x):  # per-sample negative ELBO, summed over the batch
        recon, mu, logvar = model(x)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return F.binary_cross_entropy(recon, x, reduction="sum") + kl

    def conv():  # shared/reference/pytorch_ae_peers.py's ConvAE with Keras' initialisation
        net = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        return net

    model = {
        "conv": conv,
        "simple": lambda: nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid()),
        "deep3": lambda: deep3(nn.ReLU),
        "deep3tanh": lambda: deep3(nn.Tanh),
        "denoise": lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 64), nn.ReLU(),
                                         nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid()),
        "vae": Vae,
    }[model_name]()
    criterion = nn.BCELoss() if figure == "BCE" else nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay,
                                 eps=1e-7 if model_name == "conv" else 1e-8)
    if model_name == "conv":
        x_train = x_train[:CONV_TRAIN]
    noisy = lambda x, g=None: (x + DENOISE_STD * torch.randn(x.shape, generator=g)).clamp(0.0, 1.0)
    for _ in range(epochs):
        order = torch.randperm(len(x_train))
        for first in range(0, len(x_train), batch):
            x = x_train[order[first:first + batch]]
            optimizer.zero_grad()
            if model_name == "vae":
                vae_loss(x).backward()
            else:
                criterion(model(noisy(x) if model_name == "denoise" else x), x).backward()
            optimizer.step()
    with torch.no_grad():
        if model_name == "vae":
            return sum(vae_loss(x_test[i:i + 1000]).item() for i in range(0, len(x_test), 1000)) / len(x_test)
        inputs = noisy(x_test, torch.Generator().manual_seed(seed + 12345)) if model_name == "denoise" else x_test
        return criterion(model(inputs), x_test).item()


def latent_test_loss(build, model_name, seed, epochs):
    example, figure = MODELS[model_name][:2]
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([os.path.join(build, "examples", example), "--epochs", str(epochs), "--seed", str(seed),
                              "--out", out], capture_output=True, text=True, check=True)
    match = re.search(r"final test " + re.escape(figure) + r": ([0-9.eE+-]+)", run.stdout)
    if not match:
        sys.exit(f"{example} printed no final test {figure}:\n{run.stdout}\n{run.stderr}")
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
        tolerance = max(RELATIVE_TOLERANCE.get(name, 0.03) * theirs_mean, max(theirs) - min(theirs))
        passed = abs(ours_mean - theirs_mean) <= tolerance
        all_pass &= passed
        rows.append((name, MODELS[name][1], theirs, ours, relative, tolerance / theirs_mean, passed))
        print(f"{name}: PyTorch {theirs}, latent {ours}", file=sys.stderr, flush=True)

    print(f"\nTest loss after {args.epochs} epochs, seeds {seeds} (Fashion-MNIST, 1 thread)\n")
    print("| model | test figure | PyTorch mean (min..max) | latent mean (min..max) | latent / PyTorch - 1 | allowed | parity |")
    print("|---|---|---|---|---|---|---|")
    for name, loss, theirs, ours, relative, allowed, passed in rows:
        print(f"| {name} | {loss} | {statistics.mean(theirs):.4f} ({min(theirs):.4f}..{max(theirs):.4f}) | "
              f"{statistics.mean(ours):.4f} ({min(ours):.4f}..{max(ours):.4f}) | {relative:+.1%} | "
              f"{allowed:.1%} | {'yes' if passed else 'NO'} |")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
