"""The OpenCL backend (ember-opencl) against ember's CPU backend, side by side in one run.

    python benchmarks/bench_opencl.py [--json PATH] [--repeat N] [--sizes 512 1024 2048]

Three tables (markdown): per-op launch overhead on tiny tensors (µs per op), GEMM throughput
(GFLOP/s) for square float32 matrices, and the training-step workloads of ``bench_train.py``
(same models, shapes and optimisers) moved to ``opencl``. The ratio column is opencl / cpu
time (below 1: OpenCL is faster). Every OpenCL measurement ends with ``ember.opencl.synchronize()``
so queued kernels are counted. The CPU backend runs single-threaded like in bench_train.py;
the OpenCL driver uses what it uses (Debian's pocl runs kernels on all CPU cores: it is a
correctness platform, not a speed target). PyTorch is not needed here.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import ember  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_train  # noqa: E402  (the CPU benchmark's workloads and helpers)
from bench_train import _LeNet  # noqa: E402  (the same CNN as the CPU benchmark)


def sync(device: str) -> None:
    if device.startswith("opencl"):
        ember.opencl.synchronize()


def seconds_per_call(fn, device: str, repeat: int, min_time: float = 0.3) -> float:
    """Best of ``repeat`` rounds. A round runs fn in batches (1, 2, 4… calls, then a
    synchronize) until one batch takes min_time: OpenCL calls only enqueue work, so timing
    without a synchronize per batch would count enqueues, not kernels."""
    fn()
    sync(device)
    best = float("inf")
    for _ in range(repeat):
        batch = 1
        while True:
            start = time.perf_counter()
            for _ in range(batch):
                fn()
            sync(device)
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
            batch *= 2
        best = min(best, elapsed / batch)
    return best


# ---- per-op launch overhead ----------------------------------------------------------------------

def overhead_ops(device):
    """(name, fn) on 16-element tensors: the cost of one op call, not of its arithmetic."""
    x = ember.arange(16.0, device=device)
    m = ember.ones(4, 4, device=device)
    return [("x + y", lambda: x + x), ("x * 2.0", lambda: x * 2.0), ("x.exp()", lambda: x.exp()),
            ("x.sum()", lambda: x.sum()), ("x[::2] (view)", lambda: x[::2]),
            ("x.t().contiguous()", lambda: m.t().contiguous()), ("m @ m (4×4)", lambda: m @ m),
            ("x.sum().item() (sync)", lambda: x.sum().item())]


# ---- GEMM ------------------------------------------------------------------------------------

def gemm(device, n):
    rng = np.random.default_rng(0)
    a = ember.from_numpy(rng.standard_normal((n, n), dtype=np.float32)).to(device)
    b = ember.from_numpy(rng.standard_normal((n, n), dtype=np.float32)).to(device)
    return lambda: a @ b


# ---- training steps (bench_train.py's workloads, on a device) -----------------------------------

def _data(device, shape, classes):
    return tuple(t.to(device) for t in bench_train._data(ember, shape, classes))


_step = bench_train._train_step


def mlp_sgd(device):
    nn = ember.nn
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10)).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _step(model, opt, nn.CrossEntropyLoss(), *_data(device, (128, 784), 10))


def cnn_adam(device):
    ember.manual_seed(0)
    model = _LeNet.build(ember).to(device)
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    return _step(model, opt, ember.nn.CrossEntropyLoss(), *_data(device, (64, 1, 28, 28), 10))


def transformer_adam(device):
    nn = ember.nn
    ember.manual_seed(0)
    block = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True,
                                       norm_first=True).to(device)
    head = nn.Linear(256, 1000).to(device)
    opt = ember.optim.Adam(list(block.parameters()) + list(head.parameters()), lr=1e-3)
    x, _ = _data(device, (16, 128, 256), 1000)
    _, y = _data(device, (16 * 128,), 1000)
    return _step(lambda t: head(block(t)).flatten(0, 1), opt, nn.CrossEntropyLoss(), x, y)


WORKLOADS = [("MLP 784-512-512-10, b128, SGD-momentum step", mlp_sgd),
             ("LeNet CNN, b64, Adam step", cnn_adam),
             ("Transformer block d256 seq128 b16, Adam step", transformer_adam)]


def _row(name, cpu, ocl, unit="ms", scale=1e3):
    ratio = f"{ocl / cpu:.2f}" if cpu and ocl else "–"
    print(f"| {name} | {cpu * scale:.1f} {unit} | {ocl * scale:.1f} {unit} | {ratio} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    args = parser.parse_args()
    if not ember.opencl.is_available():  # not an error: the machine has no OpenCL driver
        print("bench_opencl: skipped, no OpenCL device: " +
              ember.backends.get_backend("opencl").unavailable_reason())
        return
    dev = "opencl"
    print(f"OpenCL device: {ember.opencl.get_device_name()}; ember CPU backend single-threaded\n")
    results: dict = {"overhead_us": {}, "gemm_gflops": {}, "train_ms": {}}

    print("| op (16 elements) | cpu | opencl | ratio |\n| --- | ---: | ---: | ---: |")
    for (name, c), (_, o) in zip(overhead_ops("cpu"), overhead_ops(dev)):
        tc, to = (seconds_per_call(f, d, args.repeat, 0.1) for f, d in ((c, "cpu"), (o, dev)))
        _row(name, tc, to, "µs", 1e6)
        results["overhead_us"][name] = {"cpu": tc * 1e6, "opencl": to * 1e6}

    print("\n| GEMM float32 | cpu GFLOP/s | opencl GFLOP/s | ratio (time) |")
    print("| --- | ---: | ---: | ---: |")
    for n in args.sizes:
        flop = 2 * n ** 3
        tc, to = (seconds_per_call(gemm(d, n), d, args.repeat) for d in ("cpu", dev))
        print(f"| {n}×{n} @ {n}×{n} | {flop / tc / 1e9:.1f} | {flop / to / 1e9:.1f} | "
              f"{to / tc:.2f} |", flush=True)
        results["gemm_gflops"][n] = {"cpu": flop / tc / 1e9, "opencl": flop / to / 1e9}

    print("\n| training step | cpu | opencl | ratio |\n| --- | ---: | ---: | ---: |")
    for name, make in WORKLOADS:
        tc, to = (seconds_per_call(make(d), d, args.repeat) for d in ("cpu", dev))
        _row(name, tc, to)
        results["train_ms"][name] = {"cpu": tc * 1e3, "opencl": to * 1e3}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
