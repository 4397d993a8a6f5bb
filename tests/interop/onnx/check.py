#!/usr/bin/env python3
"""Runs latent's ONNX exports through onnx's checker and OpenCV's DNN module and compares with latent's outputs.

Usage: check.py EXPORT_PROGRAM DIR. The program (tests/interop/onnx/export_models.cpp) writes NAME.onnx,
NAME.input.npy and NAME.output.npy into DIR for each model; this script checks each file with
onnx.checker.check_model(full_check=True), runs NAME.input.npy through cv2.dnn.readNetFromONNX and compares with
NAME.output.npy. Exits 77 (CTest: skipped) where numpy, onnx or cv2 cannot be imported.

Tolerance: |opencv - latent| <= 1e-5 + 1e-5 |latent| per value. Both compute in float32 with the same operations
but in other orders (OpenCV's convolutions and products block and vectorise differently, and it folds BatchNorm
into a scale and a shift); the largest sums here have 784 terms of size ~0.1, whose float32 rounding is a few
1e-7, far below 1e-5, while any wrong weight layout, padding or interpolation rule changes values by 1e-2 or more.
"""
import subprocess
import sys
from pathlib import Path

try:
    import numpy as np
    import onnx
    import cv2
except ImportError as e:
    print(f"skipped: {e.name} cannot be imported by {sys.executable} (apt-get install python3-onnx python3-opencv)")
    sys.exit(77)

TOLERANCE = 1e-5
EXPECTED = [
    "dense_autoencoder", "dense_encoder", "dense_decoder", "variational_autoencoder", "variational_encoder",
    "tied_autoencoder", "conv_autoencoder", "conv_encoder", "conv_decoder", "geometry", "batchnorm",
]


def input_shape(model, batch):
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return [batch] + [d.dim_value for d in dims[1:]]


def check(directory, name):
    path = directory / f"{name}.onnx"
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    x = np.load(directory / f"{name}.input.npy")
    expected = np.load(directory / f"{name}.output.npy")
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setInput(np.ascontiguousarray(x.reshape(input_shape(model, x.shape[0]))))
    found = net.forward().reshape(expected.shape)
    difference = np.abs(found - expected)
    worst = float(difference.max())
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name}: checker ok; OpenCV max |difference| {worst:.3g} over {expected.size} values; ops {' '.join(ops)}")
    bad = difference > TOLERANCE + TOLERANCE * np.abs(expected)
    if bad.any():
        i = np.unravel_index(int(np.argmax(difference)), difference.shape)
        print(f"  FAILED: {int(bad.sum())} values beyond tolerance; worst at {i}: latent {expected[i]}, OpenCV {found[i]}")
        return False
    return True


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    program, directory = sys.argv[1], Path(sys.argv[2])
    subprocess.run([program, str(directory)], check=True)
    ok = True
    for name in EXPECTED:
        try:
            ok = check(directory, name) and ok
        except Exception as e:  # a file the checker refuses or OpenCV cannot read: report it, check the others
            print(f"{name}: FAILED: {type(e).__name__}: {e}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
