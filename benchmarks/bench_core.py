"""ember core vs PyTorch, side by side in one run, single thread.

    python benchmarks/bench_core.py [--json PATH] [--repeat N]

Prints which BLAS ran, then a markdown table: workload | ember | torch | ratio (ember/torch) |
target. PyTorch is optional: without it the torch column reads "–". See benchmarks/README.md.

The other ``bench_*.py`` scripts import their shared pieces from here (``Row``, ``try_time``,
``argument_parser``, ``single_thread``, ``report``); importing this module first also fixes the
BLAS/thread environment before NumPy loads.
"""

from __future__ import annotations

import os

# Before NumPy is imported: these two variables (set on some of our machines) make OpenBLAS pick
# a slower kernel and halve matmul speed; and every thread pool is limited to one thread so that
# the comparison is per core (threadpoolctl and torch.set_num_threads confirm it below).
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import contextlib
import json
import platform
import subprocess
import sys
import time
import timeit
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

try:
    import torch
except ImportError:
    torch = None

try:
    import ember
except ImportError as exc:
    sys.exit(f"cannot import ember ({exc}); install it first: pip install -e packages/core")

REPEAT = 7  # timing rounds per measurement; the best round is kept


@dataclass
class Row:
    workload: str
    ember_s: float | None
    torch_s: float | None
    target: str = ""
    target_met: bool | None = None
    extra: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.ember_s is None or self.torch_s is None:
            return None
        return self.ember_s / self.torch_s


# --------------------------------------------------------------------------- timing helpers


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Seconds per call: best of `repeat` rounds, each long enough (>= 0.2 s) to be stable."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def try_time(
    make: Callable[[], Callable[[], object]], repeat: int
) -> tuple[float | None, str | None]:
    """Build the workload with `make` and time it; an error becomes a note, not a crash."""
    try:
        return best_time(make(), repeat), None
    except Exception as exc:  # a missing op must not hide the other rows
        return None, f"{type(exc).__name__}: {exc}"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def check(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


# ------------------------------------------------------------------------------- workloads
# Each workload builds its inputs once, then times only the operation itself.


def tiny_add(repeat: int) -> Row:
    def make(lib):
        a, b = lib.randn(4), lib.randn(4)
        return lambda: a + b

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row(
        "add, shape (4,), no grad", ember_s, torch_s, "≤ 1.5 µs", check(ember_s, 1.5e-6), error=err
    )


def tiny_add_graph(repeat: int) -> Row:
    def make(lib):
        a, b = lib.randn(4).requires_grad_(), lib.randn(4)
        return lambda: a + b

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row(
        "add, shape (4,), a.requires_grad",
        ember_s,
        torch_s,
        "≤ 3 µs",
        check(ember_s, 3e-6),
        error=err,
    )


def tiny_backward(repeat: int) -> Row:
    def make(lib):
        a, b = lib.randn(4).requires_grad_(), lib.randn(4).requires_grad_()
        return lambda: (a + b).sum().backward()

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row(
        "(a+b).sum().backward(), shape (4,)",
        ember_s,
        torch_s,
        "≤ 16 µs",
        check(ember_s, 16e-6),
        error=err,
    )


def large_add(repeat: int) -> Row:
    def make(lib):
        a, b = lib.randn(1_000_000), lib.randn(1_000_000)
        return lambda: a + b

    ember_s, err = try_time(lambda: make(ember), repeat)
    torch_s = try_time(lambda: make(torch), repeat)[0] if torch else None
    return Row("add, 1e6 float32", ember_s, torch_s, error=err)


def matmul_1024(repeat: int) -> Row:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1024, 1024), dtype=np.float32)
    y = rng.standard_normal((1024, 1024), dtype=np.float32)

    def make_ember():
        ex, ey = ember.from_numpy(x), ember.from_numpy(y)
        got = ember.matmul(ex, ey).numpy()
        if not np.allclose(got, x @ y, rtol=1e-3, atol=1e-3):
            raise AssertionError("ember.matmul result differs from NumPy's")
        return lambda: ember.matmul(ex, ey)

    def make_torch():
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        return lambda: torch.matmul(tx, ty)

    numpy_s = best_time(lambda: x @ y, repeat)
    ember_s, err = try_time(make_ember, repeat)
    torch_s = try_time(make_torch, repeat)[0] if torch else None
    vs_numpy = None if ember_s is None else ember_s / numpy_s
    target = f"≤ 1.05× NumPy `a @ b` ({fmt_time(numpy_s)})"
    if vs_numpy is not None:
        target += f": {vs_numpy:.3f}×"
    return Row(
        "matmul 1024x1024 float32",
        ember_s,
        torch_s,
        target,
        check(vs_numpy, 1.05),
        extra={"numpy_s": numpy_s, "ember_over_numpy": vs_numpy},
        error=err,
    )


def wall_time(code: str, runs: int) -> float:
    """Best wall time of `python -c code` in a fresh interpreter.

    Bytecode caching is allowed (some machines set PYTHONDONTWRITEBYTECODE, which would make
    every run of an editable install recompile its sources) and one untimed run fills the cache,
    so both libraries are timed as after a normal install.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def import_time(runs: int) -> list[Row]:
    baseline = wall_time("pass", runs)
    ember_raw = wall_time("import ember", runs)
    torch_raw = wall_time("import torch", runs) if torch else None
    ember_net = max(ember_raw - baseline, 0.0)  # timing noise can make a tiny import negative
    torch_net = None if torch_raw is None else max(torch_raw - baseline, 0.0)
    extra = {"python_startup_s": baseline}
    return [
        Row("import (raw wall time)", ember_raw, torch_raw, extra=extra),
        Row(
            "import (net of `python -c pass`)",
            ember_net,
            torch_net,
            "≤ 0.15 s",
            check(ember_net, 0.15),
            extra=extra,
        ),
    ]


# ------------------------------------------------------------------------------- reporting


def environment() -> dict[str, object]:
    blas = []
    if threadpoolctl is not None:
        for pool in threadpoolctl.threadpool_info():
            blas.append(
                {
                    key: pool.get(key)
                    for key in (
                        "user_api",
                        "internal_api",
                        "architecture",
                        "num_threads",
                        "version",
                        "filepath",
                    )
                }
            )
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "numpy": np.__version__,
        "ember": getattr(ember, "__version__", "?"),
        "torch": torch.__version__ if torch else None,
        "torch_threads": torch.get_num_threads() if torch else None,
        "threadpools": blas,
    }


def print_environment(env: dict[str, object]) -> None:
    print(
        f"Python {env['python']} on {env['machine']}, NumPy {env['numpy']}, ember {env['ember']}, "
        f"torch {env['torch'] or 'not installed'}"
    )
    if threadpoolctl is None:
        print(
            "threadpoolctl not installed: BLAS kernel unknown, threads limited by environment only"
        )
    for pool in env["threadpools"]:
        arch = f" architecture={pool['architecture']}" if pool["architecture"] else ""
        print(
            f"  {pool['user_api']}: {pool['internal_api']} {pool['version'] or ''}{arch}"
            f" threads={pool['num_threads']} ({os.path.basename(pool['filepath'] or '')})"
        )
    print()


@contextlib.contextmanager
def single_thread() -> Iterator[dict[str, object]]:
    """Limit PyTorch and every thread pool threadpoolctl sees to one thread for the ``with``
    block, print the environment (BLAS kernel, versions) and yield it for :func:`report`."""
    if torch is not None:
        torch.set_num_threads(1)
    limits = (
        threadpoolctl.threadpool_limits(limits=1) if threadpoolctl else contextlib.nullcontext()
    )
    with limits:
        env = environment()
        print_environment(env)
        yield env


def argument_parser(doc: str, repeat: int | None = REPEAT) -> argparse.ArgumentParser:
    """The options every benchmark script shares: ``--json PATH`` and (unless ``repeat`` is
    None) ``--repeat N`` with default ``repeat``; ``doc`` (the script's docstring) is the help."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    if repeat is not None:
        parser.add_argument(
            "--repeat", type=int, default=repeat, help=f"timing rounds (default {repeat})"
        )
    return parser


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| workload | ember | torch | ratio (ember/torch) | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}"
        mark = {True: " ✔", False: " ✘", None: ""}[row.target_met] if row.target else ""
        ember_cell = fmt_time(row.ember_s) if row.error is None else "error"
        lines.append(
            f"| {row.workload} | {ember_cell} | {fmt_time(row.torch_s)} | {ratio} | {row.target}{mark} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(__doc__)
    parser.add_argument(
        "--import-runs", type=int, default=5, help="interpreter starts per import timing"
    )
    args = parser.parse_args(argv)
    with single_thread() as env:
        rows = [
            tiny_add(args.repeat),
            tiny_add_graph(args.repeat),
            tiny_backward(args.repeat),
            large_add(args.repeat),
            matmul_1024(args.repeat),
        ]
        rows += import_time(args.import_runs)

    report(rows, env, args.json)
    return 0


def report(rows, env, json_path) -> None:
    """Print the table and any ember errors; dump everything as JSON when asked."""
    print(markdown_table(rows))
    for row in rows:
        if row.error:
            print(f"\nember error in '{row.workload}': {row.error}")
    if json_path:
        results = [{**asdict(row), "ratio": row.ratio} for row in rows]
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump({"environment": env, "results": results}, f, indent=2)
        print(f"\nwrote {json_path}")


if __name__ == "__main__":
    sys.exit(main())
