#!/usr/bin/env python3
"""Compile cost of a family (issue 16): wall time and peak memory of g++ compiling each translation unit alone.

    python3 benchmarks/compile_cost/measure.py [--opt -O2] [--compiler g++] [names...]

Run from the repository root, one compile at a time (on a shared machine: under flock). Prints a Markdown table.
The flags are those CMake gives the examples (with OpenBLAS and -march=native), at the optimisation level given.
"""
import argparse
import re
import subprocess
import sys
import time

# name: (source, extra flags)
UNITS = {
    "one Dense model (deep_autoencoder)": ("examples/02_deep_autoencoder.cpp", []),
    "12 Dense members by hand": ("benchmarks/compile_cost/dense_by_hand.cpp", []),
    "3 Dense members, run_experiment": ("benchmarks/compile_cost/dense_family.cpp", ["-DLATENT_CODES=2"]),
    "12 Dense members, run_experiment": ("benchmarks/compile_cost/dense_family.cpp", []),
    "15 Dense members, architecture_search": ("examples/16_architecture_search.cpp", []),
    "one conv model (conv_autoencoder)": ("examples/12_conv_autoencoder.cpp", []),
    "1 conv member, run_experiment": ("benchmarks/compile_cost/conv_family.cpp", ["-DLATENT_MEMBERS=Conv<16, 16>"]),
    "4 conv members, run_experiment": ("benchmarks/compile_cost/conv_family.cpp", []),
}


def measure(compiler, opt, source, extra):
    command = ["/usr/bin/time", "-v", compiler, "-std=c++20", opt, "-DNDEBUG", "-DLATENT_WITH_BLAS", "-march=native",
               "-Iinclude", "-Iexamples", "-isystem", "/usr/include/eigen3", "-isystem",
               "/usr/include/x86_64-linux-gnu/openblas-pthread", *extra, "-c", source, "-o", "/dev/null"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{source} did not compile:\n{result.stderr[-3000:]}")
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(elapsed.split(":"))))
    user = float(re.search(r"User time \(seconds\): (\S+)", result.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", result.stderr).group(1))
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return seconds, user + system, peak_kb / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opt", default="-O2")
    parser.add_argument("--compiler", default="g++")
    parser.add_argument("names", nargs="*", help="which rows (substrings of their names); all by default")
    args = parser.parse_args()
    print(f"| translation unit ({args.compiler} {args.opt}) | wall s | CPU s | peak MB |\n|---|---:|---:|---:|")
    for name, (source, extra) in UNITS.items():
        if args.names and not any(n in name for n in args.names):
            continue
        wall, cpu, peak = measure(args.compiler, args.opt, source, extra)
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
