"""ember on CUDA (the ember-cuda plugin, CuPy) vs PyTorch CUDA, side by side in one run.

    python benchmarks/bench_cuda.py [--json PATH] [--quick]

Rows: training steps of benchmarks/bench_train.py's models scaled up for a GPU (Transformer
block batch 64 × seq 512, LeNet CNN batch 512, MLP batch 4096; the Transformer also under
bf16 autocast), an 8192² matmul in float32, TF32 and bfloat16 (TFLOP/s), and the launch
overhead of a tiny op (µs per call, queued without synchronising). The same model code runs on
both libraries. Times: the GPU is synchronised before and after a loop of steps; the best of
``--repeat`` rounds is kept. Prints a markdown table with the ratio ember/torch and the
issue's target. Needs a GPU (without one it says why and exits 0); PyTorch (with CUDA) is
optional.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

import ember

try:
    import torch

    if not torch.cuda.is_available():
        torch = None
except ImportError:
    torch = None

# sizes (``--tiny`` shrinks them for a smoke test of this script) and ember's device type
# (``--device``; torch always runs on "cuda")
CFG = {"seq": 512, "batch": 64, "cnn_batch": 512, "mlp_batch": 4096, "hidden": 2048,
       "n": 8192, "device": "cuda"}
TINY = {"seq": 8, "batch": 2, "cnn_batch": 4, "mlp_batch": 8, "hidden": 16, "n": 64}


def _dev(lib) -> str:
    return "cuda" if lib is torch else CFG["device"]


def _ns(lib):
    """``torch.cuda`` or ember's namespace of the device type under test."""
    return torch.cuda if lib is torch else getattr(ember, ember.device(CFG["device"]).type)


# ---- workloads: (lib) -> step function ---------------------------------------------------------

def _data(lib, shape, classes):
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal(shape, dtype=np.float32)).to(_dev(lib))
    y = lib.from_numpy(rng.integers(0, classes, shape[0])).to(_dev(lib))
    return x, y


def _train_step(lib, model, opt, loss_fn, x, y, autocast=None):
    def step():
        opt.zero_grad()
        if autocast is None:
            loss = loss_fn(model(x), y)
        else:
            with lib.autocast(ember.device(_dev(lib)).type, dtype=autocast):
                loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def transformer_adam(lib, autocast=None):
    """A pre-LN Transformer encoder block (d 256, 4 heads, FFN 1024), seq 512, batch 64,
    a 1000-way head on every position, Adam."""
    nn = lib.nn
    lib.manual_seed(0)
    block = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True,
                                       norm_first=True)
    model = nn.Sequential(block, nn.Linear(256, 1000)).to(_dev(lib))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    batch, seq = CFG["batch"], CFG["seq"]
    x, _ = _data(lib, (batch, seq, 256), 1000)
    y = lib.from_numpy(np.random.default_rng(1).integers(0, 1000, (batch * seq,))).to(_dev(lib))
    loss_fn = nn.CrossEntropyLoss()

    def loss(out, target):
        return loss_fn(out.flatten(0, 1), target)

    return _train_step(lib, model, opt, loss, x, y, autocast)


def transformer_adam_bf16(lib):
    return transformer_adam(lib, autocast=lib.bfloat16)


def cnn_adam(lib):
    """LeNet-style CNN (conv 1→32 3×3, pool, conv 32→64 3×3, pool, fc 3136→128→10), batch 512,
    Adam."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(),
                          nn.Linear(128, 10)).to(_dev(lib))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    x, y = _data(lib, (CFG["cnn_batch"], 1, 28, 28), 10)
    return _train_step(lib, model, opt, nn.CrossEntropyLoss(), x, y)


def mlp_sgd(lib):
    """MLP 784-2048-2048-10, batch 4096, SGD with momentum."""
    nn = lib.nn
    lib.manual_seed(0)
    h = CFG["hidden"]
    model = nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                          nn.Linear(h, 10)).to(_dev(lib))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = _data(lib, (CFG["mlp_batch"], 784), 10)
    return _train_step(lib, model, opt, nn.CrossEntropyLoss(), x, y)


TRAINING = [
    ("Transformer block d256 seq512 b64, Adam step", transformer_adam, 1.5),
    ("  same, bf16 autocast", transformer_adam_bf16, 1.5),
    ("LeNet CNN b512, Adam step", cnn_adam, 1.5),
    ("MLP 784-2048-2048-10 b4096, SGD step", mlp_sgd, 1.5),
]


# ---- measuring ------------------------------------------------------------------------------------

def _sync(lib) -> None:
    _ns(lib).synchronize()


def seconds_per_call(lib, fn, repeat: int, min_time: float) -> float:
    """Best of ``repeat`` rounds of a loop of calls (≥ ``min_time`` s), GPU synchronised around."""
    fn()
    _sync(lib)
    best = float("inf")
    for _ in range(repeat):
        n = 0
        start = time.perf_counter()
        while n < 3 or time.perf_counter() - start < min_time:
            fn()
            n += 1
        _sync(lib)
        best = min(best, (time.perf_counter() - start) / n)
    return best


def _matmul(dtype_name: str, tf32: bool):
    def make(lib):
        _set_tf32(lib, tf32)
        n = CFG["n"]
        rng = np.random.default_rng(0)
        a = lib.from_numpy(rng.standard_normal((n, n), dtype=np.float32)).to(_dev(lib))
        a = a.to(getattr(lib, dtype_name))
        b = a.t().contiguous()
        return lambda: a @ b

    return make


MATMUL = [
    ("matmul 8192² float32", _matmul("float32", False)),
    ("matmul 8192² float32, TF32", _matmul("float32", True)),
    ("matmul 8192² bfloat16", _matmul("bfloat16", False)),
]


def _set_tf32(lib, on: bool) -> None:
    if lib is torch:
        torch.backends.cuda.matmul.allow_tf32 = on
    elif hasattr(_ns(lib), "set_float32_matmul_precision"):
        _ns(lib).set_float32_matmul_precision("high" if on else "highest")
    elif on:
        raise RuntimeError(f"ember's '{CFG['device']}' has no TF32 switch")


def launch_overhead(lib):
    a = lib.ones(4, device=_dev(lib))
    b = lib.ones(4, device=_dev(lib))

    def hundred_adds():
        for _ in range(100):
            a + b

    return hundred_adds


def _release(lib) -> None:
    _set_tf32(lib, False)
    if hasattr(_ns(lib), "empty_cache"):
        _ns(lib).empty_cache()


def _row(name, e, t, unit, target, rows, higher_is_better=False):
    ratio = None if t is None or e is None else (e / t if not higher_is_better else t / e)
    mark = "" if ratio is None or target is None else (" ✔" if ratio <= target else " ✘")
    fmt = (lambda v: "–" if v is None else f"{v:.1f} {unit}")
    print(f"| {name} | {fmt(e)} | {fmt(t)} | {'–' if ratio is None else f'{ratio:.2f}'} | "
          f"{'' if target is None else f'≤ {target}×'}{mark} |", flush=True)
    rows.append({"row": name, "ember": e, "torch": t, "unit": unit, "ratio": ratio,
                 "target": target})


def _measure(make, lib, repeat, min_time):
    """Seconds per call of ``make(lib)``'s function; None (and the reason on stderr) if it fails."""
    try:
        fn = make(lib)
        return seconds_per_call(lib, fn, repeat, min_time)
    except Exception as exc:  # noqa: BLE001 - one failing row must not hide the others
        print(f"{lib.__name__} failed on {make.__name__}: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return None
    finally:
        _release(lib)


def _both(make, repeat, min_time) -> tuple:
    """(ember, torch) seconds per call; torch's is None without PyTorch CUDA."""
    return (_measure(make, ember, repeat, min_time),
            _measure(make, torch, repeat, min_time) if torch else None)


def _scaled(seconds, factor):
    return None if seconds is None else seconds * factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true", help="1 round of ≥0.3 s per row")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cuda", help="ember's device (default: cuda)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    CFG["device"] = args.device
    if args.tiny:
        CFG.update(TINY)
    if not _ns(ember).is_available():  # a skip, not a failure: `nox -s bench` runs every script
        backend = ember.backends.get_backend(ember.device(args.device).type)
        print(f"bench_cuda.py skipped: it needs a GPU ({backend.unavailable_reason()})")
        return
    repeat, min_time = (1, 0.3) if args.quick else (args.repeat, 1.0)
    name = getattr(_ns(ember), "get_device_name", lambda: args.device)()
    print(f"ember {ember.__version__} on {name}, torch "
          f"{torch.__version__ + ' CUDA ' + str(torch.version.cuda) if torch else 'not available'}\n")
    print("| row | ember | torch | ratio (ember/torch) | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    rows: list = []
    for name, make, target in TRAINING:
        e, t = _both(make, repeat, min_time)
        _row(name, _scaled(e, 1e3), _scaled(t, 1e3), "ms", target, rows)
    flops = 2 * CFG["n"] ** 3
    for name, make in MATMUL:
        e, t = _both(make, repeat, min_time)
        _row(name + " (TFLOP/s)", None if e is None else flops / e / 1e12,
             None if t is None else flops / t / 1e12, "TFLOP/s", 1.1, rows, higher_is_better=True)
    e, t = _both(launch_overhead, repeat, min_time)
    _row("op launch: a + b, 4 elements, queued", _scaled(e, 1e6 / 100), _scaled(t, 1e6 / 100),
         "µs", None, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
