"""ember.distributed vs torch.distributed (gloo): data-parallel scaling and all-reduce bandwidth.

    python benchmarks/bench_distributed.py [--json PATH] [--steps N]

Starts its own MPI jobs (``python -m ember.distributed.run``; mpi4py + mpich needed) and, when
``import torch`` works, the same workloads with torch.distributed's gloo backend under the same
launcher. One thread per process, so 2 processes use 2 cores.

Rows:
- a training step (forward, backward, gradient all-reduce, SGD step) of an MLP 784-512-512-10
  on 64 samples per process: 1 process (no DDP) and 2 processes (DistributedDataParallel);
  *scaling efficiency* = throughput(2 processes) / (2 × throughput(1 process)).
- one ``all_reduce`` (SUM, float32) of 1 KiB … 64 MiB on 2 processes, with the bus bandwidth
  2·(n−1)/n · bytes / time (NCCL's convention); raw mpi4py ``Allreduce`` shows ember's own cost.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

from bench_core import Row, environment, fmt_time, print_environment, report, torch

HERE = os.path.abspath(__file__)
SIZES = [1 << k for k in range(10, 27, 2)]  # 1 KiB … 64 MiB
BATCH, WIDTH = 64, 512


# ----------------------------------------------------------------------------- worker side
def _rank_world() -> tuple[int, int]:
    return int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(),
                         nn.Linear(WIDTH, 10))


def _setup(lib_name: str):
    """Import the library and join the job's process group (gloo for torch)."""
    rank, world = _rank_world()
    if lib_name == "torch":
        import torch as lib
        import torch.distributed as dist

        lib.set_num_threads(1)
        if world > 1:
            dist.init_process_group("gloo", rank=rank, world_size=world)
        return lib, dist
    import ember as lib
    import ember.distributed as dist

    if world > 1:
        dist.init_process_group("mpi", timeout=300)
    return lib, dist


def _timed(fn, sync, calls: int, rounds: int = 5) -> float:
    """Seconds per call of ``fn``: the best of ``rounds`` rounds of ``calls`` calls, each round
    between two barriers (so it includes waiting for the slower rank), after 3 warm-up calls.
    The best round filters out the other programs that share the machine's cores."""
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(rounds):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def worker_train(lib_name: str, steps: int) -> dict:
    lib, dist = _setup(lib_name)
    rank, world = _rank_world()
    lib.manual_seed(0)
    model = _mlp(lib)
    if world > 1:
        parallel = lib.nn.parallel.DistributedDataParallel
        model = parallel(model)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x, y = lib.randn(BATCH, 784), lib.randint(0, 10, (BATCH,))

    def step():
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad()

    sync = dist.barrier if world > 1 else (lambda: None)
    return {"step_s": _timed(step, sync, max(1, steps // 5))}


def worker_allreduce(lib_name: str, steps: int) -> dict:
    lib, dist = _setup(lib_name)
    out = {}
    for size in SIZES:
        t = lib.ones(size // 4)
        reps = max(2, min(100, (16 << 20) // size))
        out[str(size)] = _timed(lambda t=t: dist.all_reduce(t), dist.barrier, reps)
        if lib_name == "ember":  # the same message through raw mpi4py: ember's own overhead
            from mpi4py import MPI

            buf = t.numpy()
            out[f"mpi4py_{size}"] = _timed(
                lambda buf=buf: MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, buf), dist.barrier, reps)
    return out


# ----------------------------------------------------------------------------- driver side
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_job(n: int, lib_name: str, what: str, steps: int) -> dict | None:
    """Run ``what`` on ``n`` processes; the rank-0 result (None, with a note, on failure)."""
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n), HERE,
           "--worker", what, "--lib", lib_name, "--steps", str(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    print(f"{lib_name} {what} on {n} processes failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
    return None


def _bus_gbps(size: int, seconds: float | None, n: int = 2) -> float | None:
    return None if not seconds else 2 * (n - 1) / n * size / seconds / 1e9


def _size_name(size: int) -> str:
    return f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"


def drive(steps: int) -> tuple[list[Row], dict]:
    libs = ["ember"] + (["torch"] if torch is not None else [])
    train = {(lib, n): run_job(n, lib, "train", steps) for lib in libs for n in (1, 2)}
    reduce = {lib: run_job(2, lib, "allreduce", steps) for lib in libs}

    def step(lib, n):
        r = train.get((lib, n))
        return r["step_s"] if r else None

    name = f"train step MLP 784-{WIDTH}-{WIDTH}-10, batch {BATCH}/process"
    rows = [Row(f"{name}, 1 process", step("ember", 1), step("torch", 1)),
            Row(f"{name}, 2 processes (DDP)", step("ember", 2), step("torch", 2))]
    efficiency = {}
    for lib in libs:
        one, two = step(lib, 1), step(lib, 2)
        efficiency[lib] = one / two if one and two else None  # (2/two) / (2 · 1/one)
    for size in SIZES:
        e = reduce["ember"][str(size)] if reduce["ember"] else None
        t = reduce["torch"][str(size)] if reduce.get("torch") else None
        raw = reduce["ember"][f"mpi4py_{size}"] if reduce["ember"] else None
        rows.append(Row(f"all_reduce {_size_name(size)} float32, 2 processes", e, t,
                        extra={"ember_bus_GBps": _bus_gbps(size, e), "torch_bus_GBps": _bus_gbps(size, t),
                               "mpi4py_s": raw}))
    return rows, efficiency


def print_details(rows: list[Row], efficiency: dict) -> None:
    print()
    for lib, eff in efficiency.items():
        print(f"scaling efficiency, 2 processes vs 1 ({lib}): "
              f"{'–' if eff is None else f'{eff:.2f}'}")
    print("\n| all_reduce | ember bus GB/s | raw mpi4py | torch gloo bus GB/s |")
    print("| --- | ---: | ---: | ---: |")
    for row in rows:
        if row.workload.startswith("all_reduce"):
            x = row.extra

            def gb(v):
                return "–" if v is None else f"{v:.2f}"
            print(f"| {row.workload.split(' float32')[0]} | {gb(x['ember_bus_GBps'])} | "
                  f"{fmt_time(x['mpi4py_s'])} | {gb(x['torch_bus_GBps'])} |")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--steps", type=int, default=50,
                        help="timed training steps, in 5 rounds (default 50)")
    parser.add_argument("--worker", choices=["train", "allreduce"], help=argparse.SUPPRESS)
    parser.add_argument("--lib", default="ember", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:  # inside an MPI job
        result = (worker_train if args.worker == "train" else worker_allreduce)(args.lib, args.steps)
        if _rank_world()[0] == 0:
            print("RESULT " + json.dumps(result), flush=True)
        return 0
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("bench_distributed: mpi4py is not installed (pip install 'ember-core[distributed]')")
        return 0
    env = environment()
    print_environment(env)
    rows, efficiency = drive(args.steps)
    print_details(rows, efficiency)
    env["scaling_efficiency"] = efficiency
    report(rows, env, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
