#!/usr/bin/env python3
"""NumPy reads the .npy and .npz files latent writes (the seed corpora tests/fuzz/write_seeds.cpp wrote with
encode_npy and encode_npz), with the shapes, types, orders and values latent gave them.

    python3 tests/data/numpy_reads_latent.py <source dir>

Exits 77 (skipped) where NumPy is not installed, 1 naming each mismatch.
"""

import pathlib
import sys

try:
    import numpy as np
except ImportError:
    print("skipped: NumPy is not installed")
    sys.exit(77)

corpus = pathlib.Path(sys.argv[1]) / "tests" / "fuzz" / "corpus"
table = (np.arange(6, dtype="<f4") * 0.5 - 1.0).reshape(2, 3)
shorts = np.array([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 32767], dtype="<i2").reshape(2, 3, 2)
small = np.array([0, 1, 127, 128, 255], dtype="u1")
doubles = np.array([1.0, -0.0, 1e300, -2.5], dtype="<f8").reshape(1, 2, 1, 2)

# name: (expected array, dtype string as written, Fortran order)
expected_npy = {
    "float32_2x3.npy": (table, "<f4", False),
    "int16_big_fortran_2x3x2.npy": (shorts, ">i2", True),
    "uint8_5.npy": (small, "|u1", False),
    "float64_fortran_1x2x1x2.npy": (doubles, "<f8", True),
    "uint64_0x3.npy": (np.zeros((0, 3), dtype="<u8"), "<u8", False),
    "int32_version2.npy": (np.array([-1, 7], dtype="<i4"), "<i4", False),
}
expected_npz = {
    "stored.npz": {"table": table, "labels": small},
    "deflate.npz": {"table": table, "labels": small},
    "one_deflated_int16.npz": {"s": shorts},
}

problems = []
for name, (want, dtype, fortran) in expected_npy.items():
    got = np.load(corpus / "npy" / name, allow_pickle=False)
    if got.dtype.str != dtype or got.shape != want.shape or not np.array_equal(got, want):
        problems.append(f"{name}: expected {dtype} {want.shape} {want.ravel()}, found {got.dtype.str} {got.shape} "
                        f"{got.ravel()}")
    if want.ndim > 1 and np.isfortran(got) != fortran:
        problems.append(f"{name}: expected fortran_order {fortran}")
for name, arrays in expected_npz.items():
    with np.load(corpus / "npz" / name, allow_pickle=False) as archive:
        if sorted(archive.files) != sorted(arrays):
            problems.append(f"{name}: expected members {sorted(arrays)}, found {sorted(archive.files)}")
            continue
        for key, want in arrays.items():
            got = archive[key]
            if got.dtype != want.dtype or not np.array_equal(got, want):
                problems.append(f"{name}[{key}]: expected {want.dtype} {want.ravel()}, found {got.dtype} {got.ravel()}")

for problem in problems:
    print(problem)
print(f"NumPy {np.__version__} read {len(expected_npy)} .npy and {len(expected_npz)} .npz files: "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)
