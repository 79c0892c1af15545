"""Training-step workloads, ember vs PyTorch side by side in one run, single thread.

    python benchmarks/bench_train.py [--json PATH] [--repeat N] [--no-memory]

The SAME model code runs on both libraries (ember's API is PyTorch's): each workload is a
function of the library module. Prints the BLAS in use and a markdown table with time per step,
the ratio ember/torch and the issue's target, then the peak memory growth of each step loop
(measured in fresh subprocesses, as the rise of the process's max RSS over the step loop).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see bench_core.py: halve matmul speed
    os.environ.pop(_var, None)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

# a memory-measuring subprocess imports only the library it measures (see peak_rss_growth)
_ONLY = os.environ.get("EMBER_BENCH_ONLY")
try:
    if _ONLY == "ember":
        raise ImportError
    import torch  # noqa: E402
except ImportError:
    torch = None
import ember  # noqa: E402

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None


# ---- workloads: (setup(lib) -> step function) -----------------------------------------------

def mlp_sgd(lib):
    """MLP 784-512-512-10, batch 128, SGD with momentum."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data(lib, (128, 784), 10)
    return _train_step(model, opt, nn.CrossEntropyLoss(), x, y)


class _LeNet:
    """conv 1→32 3×3, pool, conv 32→64 3×3, pool, fc 3136→128→10 (padding 1 keeps 28×28)."""

    @staticmethod
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn_adam(lib):
    """LeNet-style CNN, batch 64, Adam."""
    model = _LeNet.build(lib)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _data(lib, (64, 1, 28, 28), 10)
    return _train_step(model, opt, lib.nn.CrossEntropyLoss(), x, y)


def cnn_inference(lib):
    """The same CNN, eval mode, batch 256, no grad."""
    model = _LeNet.build(lib).eval()
    x, _ = _data(lib, (256, 1, 28, 28), 10)

    def step():
        with lib.no_grad():
            return model(x)

    return step


def transformer_adam(lib):
    """One pre-LN Transformer encoder block (d 256, 4 heads, FFN 1024), seq 128, batch 16,
    a 1000-way head on every position, Adam."""
    nn = lib.nn
    block = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True,
                                       norm_first=True)
    head = nn.Linear(256, 1000)
    params = list(block.parameters()) + list(head.parameters())
    opt = lib.optim.Adam(params, lr=1e-3)
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((16, 128, 256),
                                                                dtype=np.float32))
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 1000, (16 * 128,)))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(head(block(x)).flatten(0, 1), y)
        loss.backward()
        opt.step()
        return loss

    return step


def mlp_numpy_reference():
    """The MLP step written by hand in NumPy (forward, backward, SGD-momentum): the floor that
    NumPy's BLAS sets on this machine."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    w = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in ((512, 784), (512, 512),
                                                                   (10, 512))]
    b = [np.zeros(s[0], np.float32) for s in ((512,), (512,), (10,))]
    vel = [np.zeros_like(p) for p in w + b]

    def step():
        h1 = np.maximum(x @ w[0].T + b[0], 0)
        h2 = np.maximum(h1 @ w[1].T + b[1], 0)
        logits = h2 @ w[2].T + b[2]
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(128), y] -= 1
        g3 = p / 128
        g2 = (g3 @ w[2]) * (h2 > 0)
        g1 = (g2 @ w[1]) * (h1 > 0)
        grads = [g1.T @ x, g2.T @ h1, g3.T @ h2, g1.sum(0), g2.sum(0), g3.sum(0)]
        for param, v, g in zip(w + b, vel, grads):
            v *= 0.9
            v += g
            param -= 0.01 * v

    return step


WORKLOADS = [
    ("MLP 784-512-512-10, b128, SGD-momentum step", mlp_sgd, 0.6),
    ("LeNet CNN, b64, Adam step", cnn_adam, 1.2),
    ("Transformer block d256 seq128 b16, Adam step", transformer_adam, 1.0),
    ("LeNet CNN inference, b256", cnn_inference, 1.0),
]


def _data(lib, shape, classes):
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal(shape, dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, classes, shape[0]))
    return x, y


def _train_step(model, opt, loss_fn, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


# ---- measuring ---------------------------------------------------------------------------------

def seconds_per_step(step, repeat: int) -> float:
    step()  # warm-up (allocations, lazy imports)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        n = 0
        while n < 3 or time.perf_counter() - start < 0.5:
            step()
            n += 1
        best = min(best, (time.perf_counter() - start) / n)
    return best


def peak_rss_kb() -> int:
    """This process's peak resident set size in KiB. Linux's VmHWM starts afresh at exec;
    ru_maxrss would carry over the parent's high-water mark into the subprocess."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_growth(lib_name: str, index: int) -> float:
    """MB by which the process's max RSS rises over 5 steps (after building the model and its
    data), in a fresh interpreter that imports only ``lib_name``."""
    code = (f"import benchmarks.bench_train as b, {lib_name} as lib\n"
            f"step = b.WORKLOADS[{index}][1](lib)\n"
            "before = b.peak_rss_kb()\n"
            "for _ in range(5): step()\n"
            "print(b.peak_rss_kb() - before)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, EMBER_BENCH_ONLY=lib_name)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, check=True, env=env)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def fmt(seconds) -> str:
    return "–" if seconds is None else f"{seconds * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    limits = threadpool_limits(1) if threadpool_limits else None
    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)  # load NumPy's BLAS
    if threadpool_info:
        for pool in threadpool_info():
            print(f"  {pool['user_api']}: {pool['internal_api']} {pool.get('version')} "
                  f"architecture={pool.get('architecture')} threads={pool['num_threads']}")
    print(f"ember {ember.__version__}, torch {torch.__version__ if torch else 'not installed'}\n")
    rows = []
    print("| workload | ember | torch | ratio (ember/torch) | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for index, (name, make, target) in enumerate(WORKLOADS):
        np.random.seed(0)
        e = seconds_per_step(make(ember), args.repeat)
        t = seconds_per_step(make(torch), args.repeat) if torch else None
        ratio = e / t if t else None
        mark = "" if ratio is None else (" ✔" if ratio <= target else " ✘")
        print(f"| {name} | {fmt(e)} | {fmt(t)} | {'–' if ratio is None else f'{ratio:.2f}'} "
              f"| ≤ {target}×{mark} |", flush=True)
        rows.append({"workload": name, "ember_s": e, "torch_s": t, "ratio": ratio,
                     "target": target, "index": index})
        if make is mlp_sgd:
            ref = seconds_per_step(mlp_numpy_reference(), args.repeat)
            print(f"| ↳ same step hand-written in NumPy | {fmt(ref)} | {fmt(t)} | "
                  f"{'–' if t is None else f'{ref / t:.2f}'} | reference |", flush=True)
    if not args.no_memory:
        print("\n| workload | ember peak RSS growth | torch peak RSS growth |")
        print("| --- | ---: | ---: |")
        for row in rows:
            em = peak_rss_growth("ember", row["index"])
            tm = peak_rss_growth("torch", row["index"]) if torch else None
            row.update(ember_peak_mb=em, torch_peak_mb=tm)
            print(f"| {row['workload']} | {em:.0f} MB | "
                  f"{'–' if tm is None else f'{tm:.0f} MB'} |", flush=True)
    if limits is not None:
        limits.unregister()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
