#!/usr/bin/python3
"""Data-parallel scaling of latent over MPI on this machine (issue 10): deep3 trained on Fashion-MNIST by
bench_mpi_scaling at 1 and 2 processes, for each global batch size, and the convolutional autoencoder
(batch 128, on the first --conv-samples images), in one run.

  cmake -S . -B build && cmake --build build --target bench_mpi_scaling -j2
  /usr/bin/python3 benchmarks/mpi_scaling.py --build build [--epochs 3] [--batches 64 256] [--conv-samples 6400]
                                              [--out FILE]

Strong scaling: N processes share every global batch, so they take the same steps as one process.
speed-up = s/epoch at 1 process / s/epoch at N; efficiency = speed-up / N. "in sum" is the share of an
epoch spent in the gradient sum (waiting for the slower process included); "sum alone" is the same number of
sums timed apart with the processes lined up before each, the cost of the transfer itself. Both reductions:
allreduce (MPI_Allreduce) and fixed_order (gathered, added in rank order: bitwise reproducible).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(build, processes, batch, epochs, reduction, model="deep3", samples=0):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    command = ["mpirun", "-np", str(processes), "--oversubscribe", "--bind-to", "none",
               os.path.join(build, "benchmarks", "bench_mpi_scaling"),
               "--model", model, "--samples", str(samples),
               "--batch", str(batch), "--epochs", str(epochs), "--reduction", reduction]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--conv-samples", type=int, default=6400,
                        help="training images per epoch of the conv model (0: skip it)")
    parser.add_argument("--out", help="also write the table here (Markdown)")
    args = parser.parse_args()

    lines = ["| model | reduction | batch | processes | s/epoch | speed-up | efficiency | in sum | sum alone | "
             "train loss |", "|---|---|---|---|---|---|---|---|---|---|"]
    runs = [("deep3", r, b, 0) for r in ("allreduce", "fixed_order") for b in args.batches]
    if args.conv_samples:
        runs += [("conv", r, 128, args.conv_samples) for r in ("allreduce", "fixed_order")]
    for model, reduction, batch, samples in runs:
        one = run(args.build, 1, batch, args.epochs, reduction, model, samples)
        two = run(args.build, 2, batch, args.epochs, reduction, model, samples)
        for r in (one, two):
            speedup = one["epoch_seconds"] / r["epoch_seconds"]
            lines.append(f"| {model} | {reduction} | {batch} | {r['processes']} | {r['epoch_seconds']:.2f} | "
                         f"{speedup:.2f}x | "
                         f"{speedup / r['processes']:.0%} | {r['sum_seconds'] / r['epoch_seconds']:.1%} | "
                         f"{r['sum_alone_seconds'] / r['epoch_seconds']:.1%} | {r['final_train_loss']:.5f} |")
            print(json.dumps(r), file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(f"Fashion-MNIST (deep3: all 60,000 training images; conv: the first {args.conv_samples}, so its "
                    f"s/epoch is for that many), median of {args.epochs} epochs, Open MPI, this machine "
                    f"({os.cpu_count()} cores, shared; load average {os.getloadavg()[0]:.1f} at the end):\n\n"
                    f"{table}\n")


if __name__ == "__main__":
    main()
