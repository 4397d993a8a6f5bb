#!/usr/bin/env python3
"""latent's safetensors against PyTorch's state_dict, both ways (CTest interop.torch_state_dict).

  state_dict.py <latent_torch_state_dict program>

(a) latent -> PyTorch: the program trains a dense and a conv autoencoder briefly and writes each as safetensors with
    inputs and latent's outputs (.npy); here each loads into its torch.nn equivalent with load_state_dict(strict=True),
    and the module's outputs in eval mode must match latent's to 1e-5.
(b) PyTorch -> latent: here the same modules train briefly and write their state_dict as safetensors (torch 1.13 has
    no safetensors package: the format is written with json and struct), with inputs and outputs; the program loads
    them into latent and compares to 1e-5.
Exit status 77 (skipped) where torch or numpy cannot be imported. The modules below mirror the C++ types in
state_dict.cpp; the naming rule they follow is in docs/interop.md.
"""
import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

TOLERANCE = 1e-5


class Autoencoder(nn.Module):
    """The PyTorch tutorials' autoencoder: an encoder and a decoder nn.Sequential."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x):
        return self.decoder(self.encoder(x))


def dense_autoencoder():
    # Dense<12, 6, ReLU>, Dense<6, 3, Tanh> | Dense<3, 6, ReLU>, Dense<6, 12, Sigmoid>
    return Autoencoder(nn.Sequential(nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 3), nn.Tanh()),
                       nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 12), nn.Sigmoid()))


def conv_autoencoder():
    # Input<1, 8, 8>, Conv2D<4, 3, ReLU>, BatchNorm<>, MaxPool2D<2>, AvgPool2D<2>, Flatten, Dense<16, 6>, BatchNorm<>
    encoder = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4), nn.MaxPool2d(2),
                            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 6), nn.BatchNorm1d(6))
    # Dense<6, 16, ReLU>, Reshape<4, 2, 2>, ConvTranspose2D<4, 4, ReLU, same, 2>, BatchNorm<>, UpSample2D<2>,
    # Conv2D<1, 3, Sigmoid>
    decoder = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Unflatten(1, (4, 2, 2)),
                            nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1), nn.ReLU(), nn.BatchNorm2d(4),
                            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(4, 1, 3, padding=1), nn.Sigmoid())
    return Autoencoder(encoder, decoder)


MODELS = {"dense": (dense_autoencoder, (12,)), "conv": (conv_autoencoder, (1, 8, 8))}

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    """The tensors of a safetensors file, by name."""
    raw = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    data = raw[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return tensors


def write_safetensors(path, state_dict):
    """A state_dict as safetensors, as the safetensors package writes it: header padded to 8 bytes with spaces."""
    names = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in state_dict.items():
        array = tensor.detach().cpu().contiguous().numpy()  # np.ascontiguousarray would make a 0-d tensor 1-d
        chunk = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def latent_to_torch(program, folder):
    subprocess.run([program, "export", folder], check=True)
    worst = 0.0
    for name, (make, shape) in MODELS.items():
        module = make()
        tensors = read_safetensors(Path(folder) / f"{name}.safetensors")
        module.load_state_dict(tensors, strict=True)  # every name, no other, each shape
        for key, value in module.state_dict().items():
            assert value.dtype == tensors[key].dtype, f"{name}: {key} is {tensors[key].dtype}, torch has {value.dtype}"
        module.eval()
        x = np.load(Path(folder) / f"{name}_input.npy")
        expected = np.load(Path(folder) / f"{name}_output.npy")
        with torch.no_grad():
            y = module(torch.from_numpy(x).reshape(len(x), *shape)).reshape(len(x), -1).numpy()
        assert y.shape == expected.shape, f"{name}: torch's output {y.shape}, latent's {expected.shape}"
        difference = float(np.abs(y - expected).max())
        print(f"{name}: latent -> PyTorch max abs difference {difference:.3g} (tolerance {TOLERANCE})")
        assert difference <= TOLERANCE, f"{name}: PyTorch's outputs differ from latent's by {difference}"
        worst = max(worst, difference)
    return worst


def torch_to_latent(program, folder):
    for seed, (name, (make, shape)) in enumerate(MODELS.items()):
        torch.manual_seed(100 + seed)
        module = make()
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-2)
        module.train()
        for _ in range(20):  # weights away from their initial values, running statistics updated
            batch = torch.rand(16, *shape)
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(module(batch), batch)
            loss.backward()
            optimizer.step()
        module.eval()
        x = torch.rand(10, *shape)
        with torch.no_grad():
            y = module(x)
        write_safetensors(Path(folder) / f"{name}_torch.safetensors", module.state_dict())
        np.save(Path(folder) / f"{name}_torch_input.npy", x.reshape(10, -1).numpy().astype(np.float32))
        np.save(Path(folder) / f"{name}_torch_output.npy", y.reshape(10, -1).numpy().astype(np.float32))
    subprocess.run([program, "import", folder], check=True)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="latent_torch_") as folder:
        latent_to_torch(sys.argv[1], folder)
        torch_to_latent(sys.argv[1], folder)
    print("both directions agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
