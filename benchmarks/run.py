#!/usr/bin/python3
"""Training and inference speed of latent against PyTorch on this machine, side by side in one run (issue 6).

  cmake -S . -B build && cmake --build build --target bench_train_speed deep_autoencoder -j2
  /usr/bin/python3 benchmarks/run.py --build build [--epochs 3] [--out benchmarks/RESULTS.md]

It builds nothing. In one run, each configuration in its own process (so threads and peak RSS are its own):
  1. deep3 (784-128-64-12-3 and back, ReLU, Sigmoid, MSE, Adam 1e-3 wd 1e-5, batch 64) and simple (784-64-784,
     BCE, Adam 1e-3, batch 64) trained on Fashion-MNIST by latent (bench_train_speed; deep3 also at 2 threads,
     FitOptions::threads) and by PyTorch at 1 and 2 threads (torch.set_num_threads and
     OMP/OPENBLAS/MKL_NUM_THREADS pinned to match; default init, the same optimizer, batch size and per-epoch
     shuffling, data preloaded as float32);
  2. deep3 inference at batch 1024 after training: latent reconstruct() at 1 and 2 threads, PyTorch eval() +
     no_grad() at 1 thread;
  3. the GEMM floor: every GEMM of one batch-64 deep3 step with latent's Eigen GEMM and OpenBLAS, plus one
     Adam update; floor s/epoch = 937.5 x (sum over shapes of the faster library + Adam);
  4. the Keras tutorial's convolutional autoencoder (examples/12_conv_autoencoder.cpp, batch 128, 1 thread) by
     latent and PyTorch (tuned as in shared/reference/pytorch_cpu.md), each timed over --conv-batches batches
     and scaled to an epoch (--conv-only runs just this comparison and prints it);
  5. the compile time and compiler memory of examples/02_deep_autoencoder.cpp at -O2 (/usr/bin/time -v, the
     flags CMake uses for the deep_autoencoder target, with -O3 replaced by -O2).
s/epoch is the median over epochs of the training loop's wall time (evaluation excluded); CPU s/epoch is the
process CPU time of the same loop, less disturbed by other processes on a shared machine. It prints a table
and writes --out (Markdown). With --libtorch it also builds benchmarks/libtorch/train_speed_libtorch.cpp
(libtorch-dev) and trains deep3 with libtorch at 1 thread; without it, libtorch is "not measured".
"""
import argparse
import gzip
import json
import os
import platform
import re
import shlex
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("LATENT_DATA_DIR", "/usr/share/datasets/fashion-mnist")
# glibc malloc as shared/reference/pytorch_ae_peers.py tunes it: PyTorch's conv step otherwise page-faults.
GLIBC_TUNED = ("glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:"
               "glibc.malloc.top_pad=67108864")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MIB = 1024.0


# ------------------------------------------------------------------------------------------------
# PyTorch child: one model at one thread count.
def read_images(data, name):
    import numpy as np
    with gzip.open(os.path.join(data, name), "rb") as f:
        raw = f.read()
    _, _, ndim = struct.unpack(">HBB", raw[:4])
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims[0], -1)
    return pixels.astype(np.float32) / 255.0


def torch_conv_child(args):
    """The Keras tutorial's conv autoencoder as shared/reference/pytorch_ae_peers.py builds it (Keras init, Adam
    epsilon 1e-7, MSE, batch 128), timed over --conv-batches batches after the first, scaled to 60,000 images."""
    import resource
    import torch
    import torch.nn as nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train = torch.from_numpy(read_images(args.data, "train-images-idx3-ubyte.gz")).view(-1, 1, 28, 28)
    encoder = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU())
    model = nn.Sequential(encoder, nn.Linear(128, 784), nn.Sigmoid())
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.MSELoss()
    batch, batches = 128, max(2, args.conv_batches)
    perm = torch.randperm(x_train.shape[0])
    tail, c0, t0 = 0.0, 0.0, 0.0
    for b in range(batches):
        if b == 1:
            c0, t0 = time.process_time(), time.perf_counter()
        x = x_train[perm[b * batch:(b + 1) * batch]]
        loss = loss_fn(model(x).view(-1, 1, 28, 28), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if b + 20 >= batches:
            tail += loss.item() / 20
    scale = 60000.0 / batch / (batches - 1)
    print(json.dumps(dict(kind="conv", library="pytorch", model="conv", threads=args.threads, batches=batches,
                          seconds_per_epoch=(time.perf_counter() - t0) * scale,
                          cpu_seconds_per_epoch=(time.process_time() - c0) * scale, tail_loss=tail,
                          peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                          torch_version=torch.__version__)), flush=True)


def torch_child(args):
    import resource
    import torch
    import torch.nn as nn
    if args.model == "conv":
        return torch_conv_child(args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train = torch.from_numpy(read_images(args.data, "train-images-idx3-ubyte.gz"))
    x_test = torch.from_numpy(read_images(args.data, "t10k-images-idx3-ubyte.gz"))
    if args.model == "deep3":
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 12),
                              nn.ReLU(), nn.Linear(12, 3), nn.Linear(3, 12), nn.ReLU(), nn.Linear(12, 64),
                              nn.ReLU(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
        loss_fn, loss_sum, weight_decay = nn.MSELoss(), nn.MSELoss(reduction="sum"), 1e-5
    else:
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid())
        loss_fn, loss_sum, weight_decay = nn.BCELoss(), nn.BCELoss(reduction="sum"), 0.0
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    batch, n = 64, x_train.shape[0]
    seconds, cpu_seconds, test_losses = [], [], []
    train_loss = float("nan")
    partial = None  # (batches done, batches per epoch) when cut short by --max-seconds
    batches = (n + batch - 1) // batch
    for _ in range(args.epochs):
        if args.max_seconds and sum(seconds) > args.max_seconds:
            break  # a contended 2-thread run can take minutes per epoch: keep the whole run short
        model.train()
        c0, t0 = time.process_time(), time.perf_counter()
        total, seen = 0.0, 0
        perm = torch.randperm(n)
        for b, i in enumerate(range(0, n, batch)):
            x = x_train[perm[i:i + batch]]
            loss = loss_fn(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * x.shape[0]
            seen += x.shape[0]
            if args.max_seconds and b >= 20 and time.perf_counter() - t0 > args.max_seconds:
                partial = (b + 1, batches)  # stop mid-epoch and extrapolate its time to the whole epoch
                break
        scale = batches / partial[0] if partial else 1.0
        seconds.append((time.perf_counter() - t0) * scale)
        cpu_seconds.append((time.process_time() - c0) * scale)
        train_loss = total / seen
        model.eval()
        with torch.no_grad():
            s = sum(loss_sum(model(x_test[i:i + 1000]), x_test[i:i + 1000]).item()
                    for i in range(0, x_test.shape[0], 1000))
        test_losses.append(s / (x_test.shape[0] * 784))
    med = statistics.median(seconds)
    out = [dict(kind="train", library="pytorch", model=args.model, threads=args.threads, epochs=len(seconds),
                epoch_seconds=seconds, median_seconds=med, epoch_cpu_seconds=cpu_seconds,
                median_cpu_seconds=statistics.median(cpu_seconds), samples_per_second=n / med,
                final_train_loss=train_loss, test_loss_per_epoch=test_losses, test_loss=test_losses[-1],
                peak_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                torch_version=torch.__version__,
                partial_epoch=None if partial is None else f"{partial[0]} of {partial[1]} batches")]
    if args.infer:
        model.eval()
        batches = [x_test[i:i + 1024] for i in range(0, x_test.shape[0] - 1023, 1024)]
        rates = []
        with torch.no_grad():
            for x in batches:  # warm-up
                model(x)
            for _ in range(5):
                t0 = time.perf_counter()
                for x in batches:
                    model(x)
                rates.append(len(batches) * 1024 / (time.perf_counter() - t0))
        out.append(dict(kind="infer", library="pytorch", model="deep3", threads=args.threads, batch=1024,
                        samples_per_second=statistics.median(rates)))
    for r in out:
        print(json.dumps(r), flush=True)


# ------------------------------------------------------------------------------------------------
# Parent
def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run_json(cmd, env_threads, what):
    env = dict(os.environ)
    for k in THREAD_VARIABLES:
        env[k] = str(env_threads)
    print(f"== {what} (load {loadavg()})", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"{what} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    print(f"   {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return rows


def read_flags(build, target_dir, target):
    """Compiler, defines, includes and flags of a target from CMake's Makefile generator (what VERBOSE=1 shows)."""
    flags = os.path.join(build, target_dir, "CMakeFiles", target + ".dir", "flags.make")
    values = {}
    with open(flags) as f:
        for line in f:
            m = re.match(r"(CXX_\w+) = (.*)", line)
            if m:
                values[m.group(1)] = m.group(2).strip()
    compiler = "c++"
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_CXX_COMPILER:"):
                compiler = line.split("=", 1)[1].strip()
    return compiler, values


def measure_compile(build):
    compiler, v = read_flags(build, "examples", "deep_autoencoder")
    flags = re.sub(r"-O[0-3s]\b", "-O2", v.get("CXX_FLAGS", ""))
    if "-O2" not in flags:
        flags += " -O2"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ([compiler] + shlex.split(v.get("CXX_DEFINES", "")) + shlex.split(v.get("CXX_INCLUDES", "")) +
               shlex.split(flags) + ["-c", os.path.join(ROOT, "examples", "02_deep_autoencoder.cpp"),
                                     "-o", os.path.join(tmp, "deep_autoencoder.o")])
        print(f"== compile deep_autoencoder at -O2 (load {loadavg()})", file=sys.stderr, flush=True)
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit("compiling deep_autoencoder failed:\n" + p.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
    seconds = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
    user = float(re.search(r"User time \(seconds\): (\S+)", p.stderr).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", p.stderr).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return dict(seconds=seconds, cpu_seconds=user + system, rss_kib=rss, command=" ".join(cmd[:-4]) + " -c ... -o ...",
                compiler=version)


def build_libtorch(build):
    """Builds benchmarks/libtorch/train_speed_libtorch.cpp with the build's compiler; returns the executable."""
    include = "/usr/include/torch/csrc/api/include"
    if not os.path.isdir(include):
        sys.exit(f"--libtorch: {include} not found (apt-get install libtorch-dev)")
    compiler, _ = read_flags(build, "benchmarks", "bench_train_speed")
    out = os.path.join(os.path.abspath(build), "benchmarks", "train_speed_libtorch")
    cmd = [compiler, "-std=gnu++20", "-O3", "-DNDEBUG", "-march=native", "-D_GLIBCXX_USE_CXX11_ABI=1",
           "-I" + os.path.join(ROOT, "include"), "-isystem", "/usr/include/eigen3", "-isystem", include,
           os.path.join(ROOT, "benchmarks", "libtorch", "train_speed_libtorch.cpp"), "-o", out,
           "-ltorch", "-ltorch_cpu", "-lc10", "-lz", "-lpng"]
    print(f"== building {out} (~30 s)", file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)
    return out


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", help="the CMake build directory holding benchmarks/bench_train_speed")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data", default=DATA)
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "RESULTS.md"), help="Markdown report ('' for none)")
    p.add_argument("--skip-compile", action="store_true", help="do not measure the compile of deep_autoencoder")
    p.add_argument("--libtorch", action="store_true",
                   help="also build benchmarks/libtorch/train_speed_libtorch.cpp into BUILD/benchmarks with g++ "
                        "(libtorch-dev; ~30 s and ~1.4 GiB of compiler memory) and train deep3 with it, 1 thread")
    p.add_argument("--conv-batches", type=int, default=200,
                   help="batches of 128 that time the conv autoencoder (latent and PyTorch, 1 thread); 0 skips it")
    p.add_argument("--conv-only", action="store_true", help="only the conv autoencoder comparison, printed, no report")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--infer", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--max-seconds", type=float, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return torch_child(args)
    if not args.build:
        p.error("--build DIR is required")
    bench = os.path.join(args.build, "benchmarks", "bench_train_speed")
    if not os.path.exists(bench):
        sys.exit(f"{bench} not found: cmake --build {args.build} --target bench_train_speed deep_autoencoder")

    def conv_rows():
        """latent then PyTorch (OpenBLAS autodetected, glibc malloc tuned: the reference's 'tuned' setting)."""
        if args.conv_batches <= 0:
            return []
        rows = run_json([bench, "conv", "--batches", str(args.conv_batches), "--seed", str(args.seed),
                         "--data", args.data], 1, "latent conv")
        rows += run_json([bench, "conv", "--batches", str(args.conv_batches), "--seed", str(args.seed),
                          "--data", args.data, "--threads", "2"], 1, "latent conv 2 threads")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", "conv", "--threads", "1",
               "--conv-batches", str(args.conv_batches), "--seed", str(args.seed), "--data", args.data]
        saved = {k: os.environ.get(k) for k in ("GLIBC_TUNABLES", "OPENBLAS_CORETYPE")}
        os.environ["GLIBC_TUNABLES"] = GLIBC_TUNED
        os.environ.pop("OPENBLAS_CORETYPE", None)
        try:
            rows += run_json(cmd, 1, "pytorch conv 1 thread (tuned)")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return rows

    def conv_table(rows):
        conv = {(r["library"], r["threads"]): r for r in rows if r["kind"] == "conv"}
        if ("latent", 1) not in conv or ("pytorch", 1) not in conv:
            return []
        lat, pt = conv[("latent", 1)], conv[("pytorch", 1)]
        T = [f"## Convolutional autoencoder (Keras tutorial model), batch 128, {lat['batches']} batches\n",
             "| library | s/epoch (extrapolated) | CPU s/epoch | loss of the last 20 batches | peak RSS MiB |",
             "|---|---|---|---|---|"]
        for name, r in (("latent", lat), ("latent, 2 threads", conv.get(("latent", 2))), ("pytorch (tuned)", pt)):
            if r is None:
                continue
            T.append(f"| {name} | {r['seconds_per_epoch']:.2f} | {r['cpu_seconds_per_epoch']:.2f} | "
                     f"{r['tail_loss']:.4f} | {r['peak_rss_kib'] / MIB:.0f} |")
        T.append(f"\nPyTorch s/epoch / latent s/epoch: {pt['seconds_per_epoch'] / lat['seconds_per_epoch']:.2f}x wall, "
                 f"{pt['cpu_seconds_per_epoch'] / lat['cpu_seconds_per_epoch']:.2f}x CPU; the goal is 2x "
                 f"({verdict(pt['seconds_per_epoch'] >= 2 * lat['seconds_per_epoch'])}). Time per batch after the "
                 "first, times 468.75 batches; PyTorch with OpenBLAS's autodetected kernels and "
                 "GLIBC_TUNABLES as in the reference's tuned run.\n")
        return T

    if args.conv_only:
        print("\n".join(conv_table(conv_rows())))
        return 0

    libtorch_bin = None
    if args.libtorch:
        libtorch_bin = build_libtorch(args.build)
    started = time.time()
    load_before = loadavg()
    common = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--data", args.data]

    def torch_run(model, threads, infer=False):
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", model, "--threads", str(threads)] + common
        if threads > 1:  # at most 30 s of training (see the report's note under the training table)
            cmd += ["--max-seconds", "30"]
        return run_json(cmd + (["--infer"] if infer else []), threads, f"pytorch {model} {threads} thread(s)")

    rows = []
    # Interleaved, so that a change in the machine's load hits both libraries alike.
    rows += run_json([bench, "train", "deep3", "--infer"] + common, 1, "latent deep3")
    rows += torch_run("deep3", 1, infer=True)
    # OpenBLAS on one thread inside each of latent's (see latent::blas in docs/install.md): env threads 1.
    rows += run_json([bench, "train", "deep3", "--infer", "--threads", "2"] + common, 1, "latent deep3 2 threads")
    if libtorch_bin:
        rows += run_json([libtorch_bin, "--threads", "1"] + common, 1, "libtorch deep3 1 thread")
    rows += torch_run("deep3", 2)
    rows += run_json([bench, "train", "simple"] + common, 1, "latent simple")
    rows += torch_run("simple", 1)
    rows += torch_run("simple", 2)
    rows += run_json([bench, "floor"], 1, "GEMM floor")
    rows += conv_rows()
    compile_info = None if args.skip_compile else measure_compile(args.build)
    load_after = loadavg()
    elapsed = time.time() - started

    train = {(r["library"], r["model"], r["threads"]): r for r in rows if r["kind"] == "train"}
    infer = {(r["library"], r["threads"]): r for r in rows if r["kind"] == "infer"}
    gemms = [r for r in rows if r["kind"] == "gemm"]
    floor = next(r for r in rows if r["kind"] == "floor")

    L = []
    L.append("# Training speed: latent against PyTorch on this machine\n")
    L.append(f"Written by `/usr/bin/python3 benchmarks/run.py --build build{' --libtorch' if args.libtorch else ''}` "
             "(see the script's header for what "
             "it measures); every figure below comes from one run, side by side. The machine is shared: "
             "compare the ratios, not the absolute seconds, with other runs.\n")
    compiler, flags = read_flags(args.build, "benchmarks", "bench_train_speed")
    cc_version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    torch_version = next((r.get("torch_version") for r in rows if r.get("torch_version")), "?")
    L.append("## Machine\n")
    L.append(f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores (shared with other users' builds)")
    L.append(f"- load average (1/5/15 min) before: {load_before}; after: {load_after}; run took {elapsed:.0f} s")
    L.append(f"- latent: {cc_version}, `{flags.get('CXX_FLAGS', '')} {flags.get('CXX_DEFINES', '')}`".rstrip()
             + f"; matrix products on {next(r for r in rows if r['kind'] == 'floor')['latent_gemm']}")
    L.append(f"- PyTorch {torch_version} (Debian), Python {platform.python_version()}; threads pinned with "
             "torch.set_num_threads and OMP/OPENBLAS/MKL_NUM_THREADS; data preloaded as float32")
    L.append(f"- {platform.platform()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}\n")

    L.append(f"## Training, Fashion-MNIST, batch 64, {args.epochs} epochs (median over epochs)\n")
    L.append("| model | library | threads | s/epoch | seconds of each epoch | CPU s/epoch | samples/s | final train loss | "
             "test loss | peak RSS MiB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for model in ("deep3", "simple"):
        for key in (("latent", model, 1), ("latent", model, 2), ("libtorch", model, 1), ("pytorch", model, 1),
                    ("pytorch", model, 2)):
            if key not in train:
                continue
            r = train[key]
            note = f" (extrapolated from {r['partial_epoch']})" if r.get("partial_epoch") else ""
            L.append(f"| {model} | {key[0]} | {key[2]} | {r['median_seconds']:.3f}{note} | "
                     f"{', '.join(f'{s:.2f}' for s in r['epoch_seconds'])} | {r['median_cpu_seconds']:.3f} | "
                     f"{r['samples_per_second']:.0f} | {r['final_train_loss']:.4f} | {r['test_loss']:.4f} | "
                     f"{r['peak_rss_kib'] / MIB:.0f} |")
    L.append("\nLosses: deep3 mean per-pixel MSE, simple mean per-pixel BCE; final train loss = mean over the last "
             "epoch's samples; test loss on the 10k test images after the last epoch. PyTorch's peak RSS includes "
             "~230 MiB for `import torch` and its float32 copy of the data; latent keeps the images as bytes. "
             "PyTorch at 2 threads trains for at most 30 s: on a loaded machine it stops within its first epoch "
             "and that epoch's time is extrapolated from the batches done (its losses are then those of a partial "
             "epoch).\n")

    def ratio(key_slow, key_fast, field="median_seconds"):
        return train[key_slow][field] / train[key_fast][field]

    d_l, s_l = ("latent", "deep3", 1), ("latent", "simple", 1)
    r = dict(
        deep3_t1=ratio(("pytorch", "deep3", 1), d_l), deep3_t2=ratio(("pytorch", "deep3", 2), d_l),
        simple_t1=ratio(("pytorch", "simple", 1), s_l), simple_t2=ratio(("pytorch", "simple", 2), s_l),
        deep3_t1_cpu=ratio(("pytorch", "deep3", 1), d_l, "median_cpu_seconds"),
        simple_t1_cpu=ratio(("pytorch", "simple", 1), s_l, "median_cpu_seconds"),
        floor=train[d_l]["median_seconds"] / floor["floor_seconds_per_epoch"],
        floor_cpu=train[d_l]["median_cpu_seconds"] / floor["floor_seconds_per_epoch"],
        threads2=ratio(d_l, ("latent", "deep3", 2)),
        infer=infer[("latent", 1)]["samples_per_second"] / infer[("pytorch", 1)]["samples_per_second"],
        infer2=infer[("latent", 2)]["samples_per_second"] / infer[("latent", 1)]["samples_per_second"])
    L += conv_table(rows)
    L.append("## Ratios (PyTorch s/epoch / latent s/epoch: above 1 means latent is faster)\n")
    L.append("| comparison | wall | CPU |")
    L.append("|---|---|---|")
    L.append(f"| deep3: PyTorch 1 thread / latent | {r['deep3_t1']:.2f}x | {r['deep3_t1_cpu']:.2f}x |")
    lt = ("libtorch", "deep3", 1)
    if lt in train:
        r["libtorch"] = ratio(lt, d_l)
        r["libtorch_cpu"] = ratio(lt, d_l, "median_cpu_seconds")
        L.append(f"| deep3: libtorch 1 thread / latent | {r['libtorch']:.2f}x | {r['libtorch_cpu']:.2f}x |")
    L.append(f"| deep3: PyTorch 2 threads / latent (1 thread) | {r['deep3_t2']:.2f}x | |")
    L.append(f"| deep3: latent 1 thread / latent 2 threads | {r['threads2']:.2f}x | |")
    L.append(f"| simple: PyTorch 1 thread / latent | {r['simple_t1']:.2f}x | {r['simple_t1_cpu']:.2f}x |")
    L.append(f"| simple: PyTorch 2 threads / latent (1 thread) | {r['simple_t2']:.2f}x | |")
    L.append(f"| deep3: latent / GEMM+Adam floor | {r['floor']:.2f}x | {r['floor_cpu']:.2f}x |")
    L.append(f"| deep3 inference, batch 1024, 1 thread: latent / PyTorch samples/s | {r['infer']:.2f}x | |")
    L.append(f"| deep3 inference, batch 1024: latent 2 threads / latent 1 thread samples/s | {r['infer2']:.2f}x | |")
    L.append("")

    L.append("## deep3 inference, batch 1024 (after training, test images, median of 5 passes)\n")
    L.append("| library | threads | samples/s |")
    L.append("|---|---|---|")
    L.append(f"| latent (reconstruct = encode + decode) | 1 | {infer[('latent', 1)]['samples_per_second']:.0f} |")
    L.append(f"| latent (reconstruct, in a ThreadScope) | 2 | {infer[('latent', 2)]['samples_per_second']:.0f} |")
    L.append(f"| PyTorch (eval(), no_grad()) | 1 | {infer[('pytorch', 1)]['samples_per_second']:.0f} |\n")

    L.append("## GEMM floor of a deep3 training step (batch 64, 1 thread)\n")
    L.append("Column-major, as latent stores a batch (samples are columns, W is out x in): forward W x, weight "
             "gradient dz x^T, input gradient W^T dz (none for layer 1). Each the fastest of 15 timings of ~4 ms "
             "(a floor: the slower timings measure the other processes on the machine).\n")
    L.append(f"latent's products (detail::Gemm) run on {floor['latent_gemm']} in this build (latent::blas, "
             "LATENT_BLAS); the Eigen column is Eigen's own product, the floor the faster of Eigen and OpenBLAS.\n")
    L.append(f"| GEMM | m | n | k | latent ({floor['latent_gemm']}) µs | GFLOP/s | Eigen µs | GFLOP/s | "
             "OpenBLAS µs | GFLOP/s |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for g in gemms:
        ob = g["openblas_seconds"]
        obs = f"{ob * 1e6:.2f} | {g['flop'] / ob / 1e9:.1f}" if ob else "n/a | n/a"
        L.append(f"| {g['name']} | {g['m']} | {g['n']} | {g['k']} | {g['latent_seconds'] * 1e6:.2f} | "
                 f"{g['flop'] / g['latent_seconds'] / 1e9:.1f} | {g['eigen_seconds'] * 1e6:.2f} | "
                 f"{g['flop'] / g['eigen_seconds'] / 1e9:.1f} | {obs} |")
    L.append("")
    L.append(f"- sum of the 23 GEMMs, latent's GEMM ({floor['latent_gemm']}): "
             f"{floor['gemm_seconds_per_step_latent'] * 1e6:.0f} µs; "
             f"faster library per shape: {floor['gemm_seconds_per_step_best'] * 1e6:.0f} µs"
             + ("" if floor["openblas"] else " (OpenBLAS not built in: Eigen only)"))
    L.append(f"- Adam update over 219,891 parameters (latent::Adam): {floor['adam_seconds_per_step'] * 1e6:.0f} µs")
    L.append(f"- floor = 937.5 x (GEMMs + Adam) = **{floor['floor_seconds_per_epoch']:.3f} s/epoch** "
             f"({floor['floor_seconds_per_epoch_latent_gemm']:.3f} s/epoch with latent's GEMM); "
             f"latent trains at {train[d_l]['median_seconds']:.3f} s/epoch")
    L.append("")

    # ---- targets
    dl = train[d_l]
    t = []
    if "libtorch" in r:
        t.append(("deep3 1 thread: s/epoch >= 2.0x faster than libtorch",
                  f"{r['libtorch']:.2f}x (CPU time {r['libtorch_cpu']:.2f}x)", r["libtorch"] >= 2.0))
    else:
        t.append(("deep3 1 thread: s/epoch >= 2.0x faster than libtorch", "not measured (run with --libtorch)", None))
    t.append(("deep3 1 thread: s/epoch >= 2.7x faster than PyTorch", f"{r['deep3_t1']:.2f}x (CPU time {r['deep3_t1_cpu']:.2f}x)",
              r["deep3_t1"] >= 2.7))
    t.append(("deep3 1 thread: s/epoch <= 1.4x the floor", f"{r['floor']:.2f}x ({dl['median_seconds']:.3f} / "
              f"{floor['floor_seconds_per_epoch']:.3f})", r["floor"] <= 1.4))
    t.append(("simple 1 thread: s/epoch >= 2.0x faster than PyTorch", f"{r['simple_t1']:.2f}x (CPU time {r['simple_t1_cpu']:.2f}x)",
              r["simple_t1"] >= 2.0))
    t.append(("deep3: latent at 2 threads >= 1.6x latent at 1 thread", f"{r['threads2']:.2f}x (the same weights, bit for bit)",
              r["threads2"] >= 1.6))
    t.append(("deep3 inference batch 1024: >= 2x PyTorch samples/s", f"{r['infer']:.2f}x", r["infer"] >= 2.0))
    t.append(("peak RSS training deep3 (data set included) <= 150 MiB", f"{dl['peak_rss_kib'] / MIB:.0f} MiB",
              dl["peak_rss_kib"] / MIB <= 150))
    t.append(("zero heap allocations per training step after warm-up",
              "0 (checked by tests/allocations/training_step.cpp: counted operator new, EIGEN_RUNTIME_NO_MALLOC)", True))
    if compile_info:
        t.append(("compile deep_autoencoder at -O2 <= 8 s", f"{compile_info['seconds']:.1f} s wall "
                  f"({compile_info['cpu_seconds']:.1f} s CPU)", compile_info["seconds"] <= 8))
        t.append(("compile deep_autoencoder at -O2 <= 700 MiB compiler memory",
                  f"{compile_info['rss_kib'] / MIB:.0f} MiB", compile_info["rss_kib"] / MIB <= 700))
    L.append("## Issue 6 targets\n")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for name, figure, ok in t:
        L.append(f"| {name} | {figure} | {'not measured' if ok is None else verdict(ok)} |")
    if compile_info:
        L.append(f"\nCompile: {compile_info['compiler']}: `/usr/bin/time -v {compile_info['command']}` (the flags of "
                 "`cmake --build build --target deep_autoencoder -- VERBOSE=1`, -O3 replaced by -O2); "
                 "wall time on the shared machine, CPU time beside it.")
    L.append("")

    # ---- why, and what would close the gap, from this run's figures
    steps = floor["steps_per_epoch"]
    latent_gemm = steps * floor["gemm_seconds_per_step_latent"]
    best_gemm = steps * floor["gemm_seconds_per_step_best"]
    adam = steps * floor["adam_seconds_per_step"]
    rest = dl["median_cpu_seconds"] - latent_gemm - adam
    wide = [g for g in gemms if "784" in g["name"]]
    wide_latent = steps * sum(g["latent_seconds"] for g in wide)
    wide_best = steps * sum(min(g["eigen_seconds"], g["openblas_seconds"] or 1e9) for g in wide)
    N = ["## Targets not met: why, and what would close them\n"]
    N.append(f"Where a deep3 epoch goes (this run, per epoch of 937.5 steps): latent's CPU s/epoch is "
             f"{dl['median_cpu_seconds']:.3f}; its GEMMs ({floor['latent_gemm']}) take {latent_gemm:.3f} s (the six "
             f"GEMMs of the two 784-wide layers {wide_latent:.3f} s of it), the Adam update {adam:.3f} s, and the remaining "
             f"{max(rest, 0):.3f} s is everything else: bias and activation passes, the loss, gathering and scaling the "
             f"batch from bytes, and the trainer's two finiteness scans (gradients, then parameters) of 219,891 "
             f"values per step. With the faster of Eigen and OpenBLAS per shape the GEMMs would take {best_gemm:.3f} s "
             f"(the 784-wide ones {wide_best:.3f} s).\n")
    if r["deep3_t1"] < 2.7 or r["floor"] > 1.4:
        fl = floor["floor_seconds_per_epoch"]
        needed = train[("pytorch", "deep3", 1)]["median_seconds"] / 2.7
        N.append(f"- **deep3 vs PyTorch ({r['deep3_t1']:.2f}x of 2.7x) and vs the floor ({r['floor']:.2f}x wall, "
                 f"{r['floor_cpu']:.2f}x CPU, of 1.4x)**: PyTorch spends its time on the same OpenBLAS GEMMs plus "
                 f"per-op dispatch; latent's products run on {floor['latent_gemm']} and "
                 "{:.0f}% of its CPU time is outside GEMM and Adam. 2.7x PyTorch means {:.3f} s/epoch, {:.0f}% of "
                 "the GEMM + Adam floor ({:.3f} s/epoch): below what the fastest GEMM here allows, whatever happens "
                 "outside it. To come closer: a GEMM kernel faster than OpenBLAS's on these shapes, the bias add "
                 "and activation fused into the GEMM's output pass, the finiteness scans folded into Adam's "
                 "pass.".format(100 * max(rest, 0) / dl["median_cpu_seconds"], needed, 100 * needed / fl, fl))
    if r["simple_t1"] < 2.0:
        N.append(f"- **simple vs PyTorch ({r['simple_t1']:.2f}x of 2.0x)**: two 784x64 layers, all GEMM time in "
                 "784-wide shapes: the same remedies as deep3 (OpenBLAS-class GEMM, fused bias+activation, fused Adam).")
    if r["threads2"] < 1.6:
        N.append(f"- **2 threads vs 1 ({r['threads2']:.2f}x of 1.6x)**: the products, element-wise passes and the Adam "
                 "update are split over the threads, the loss and the finiteness scans are not; on a shared 2-core "
                 "machine the second thread also competes with the other processes (load average above).")
    if r["infer"] < 2.0:
        N.append(f"- **inference ({r['infer']:.2f}x of 2x at 1 thread)**: a batch-1024 deep3 forward pass is 437 kFLOP "
                 "per sample, so 2x PyTorch's rate here would need {:.0f} GFLOP/s on one core, above what either "
                 "GEMM reaches on these shapes (table below: Eigen about 85, OpenBLAS about 100). A kept workspace "
                 "saves only ~6% (measured: the per-call workspace and copies are small beside the products). "
                 "On 2 threads latent gives {:.2f}x its 1-thread rate, {:.2f}x PyTorch's 1-thread rate.".format(
                     2 * infer[('pytorch', 1)]['samples_per_second'] * 437e3 / 1e9, r['infer2'],
                     infer[('latent', 2)]['samples_per_second'] / infer[('pytorch', 1)]['samples_per_second']))
    if dl["peak_rss_kib"] / MIB > 150:
        N.append("- **peak RSS**: above 150 MiB; the data set is held as bytes (55 MiB), so look at the workspace.")
    if compile_info and compile_info["seconds"] > 8:
        N.append(f"- **compile time ({compile_info['seconds']:.1f} s wall, {compile_info['cpu_seconds']:.1f} s CPU, "
                 "of 8 s)**: one translation unit instantiates the whole network, the trainer, PNG and plotting "
                 "code and Eigen's GEMM kernels for three transpositions; the wall figure also includes waiting "
                 "for the shared cores. To close: fewer instantiations (one GEMM kernel per transposition shared "
                 "by all layers), keeping PNG/plot out of the headers the example needs, or precompiled headers.")
    if compile_info and compile_info["rss_kib"] / MIB > 700:
        N.append(f"- **compiler memory ({compile_info['rss_kib'] / MIB:.0f} MiB of 700)**: the same instantiations.")
    N.append(f"- PyTorch at 2 threads ({train[('pytorch', 'deep3', 2)]['median_seconds']:.1f} s/epoch for deep3) is "
             "not a fair 2-thread figure on a machine whose 2 cores are shared: its OpenMP and OpenBLAS workers spin "
             "and wait for each other while other processes hold the cores (load average above). Compare the "
             "1-thread rows.")
    if "libtorch" in r and r["libtorch"] < 2.0:
        needed = train[("libtorch", "deep3", 1)]["median_seconds"] / 2.0
        N.append(f"- **deep3 vs libtorch ({r['libtorch']:.2f}x of 2.0x)**: libtorch runs the same OpenBLAS GEMMs as "
                 f"PyTorch without Python's per-op cost; 2x libtorch means {needed:.3f} s/epoch, "
                 f"{100 * needed / floor['floor_seconds_per_epoch']:.0f}% of the GEMM + Adam floor: the remedies "
                 "are those of the deep3 line above.")
    if "libtorch" not in r:
        N.append("- **libtorch**: not measured in this run (libtorch-dev is installed; its reference figure on this "
             "machine is 1.12 s/epoch for deep3 at 1 thread, /work/shared/reference/cpp_peers_and_roofline.md, "
             "not comparable with a run under another load).")
    L += N
    L.append("")

    text = "\n".join(L) + "\n"
    print(text)
    if args.out:
        # benchmarks/gpu/run.py writes its own section between these markers: keep it.
        gpu_section = ""
        if os.path.exists(args.out):
            with open(args.out) as f:
                found = re.search(r"<!-- gpu-results.*?<!-- end of gpu-results -->\n?", f.read(), re.S)
            gpu_section = "\n" + found.group(0) if found else ""
        with open(args.out, "w") as f:
            f.write(text + gpu_section)
        print(f"wrote {args.out}", file=sys.stderr)
    with open(os.path.join(tempfile.gettempdir(), "latent_run_py_rows.json"), "w") as f:
        json.dump(dict(rows=rows, compile=compile_info, load_before=load_before, load_after=load_after), f)


if __name__ == "__main__":
    main()
