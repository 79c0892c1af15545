"""``ember.set_num_threads`` / ``get_num_threads``: the CPU backend's thread pools.

The CPU backend computes with NumPy, whose matmul runs on a BLAS library (OpenBLAS, MKL…) with
its own thread pool. ``threadpoolctl`` finds every such library loaded in the process and sets
its thread count, which is what ``torch.set_num_threads`` does for PyTorch's intra-op pool. On a
busy machine one thread per process avoids the large slowdowns of oversubscribed BLAS threads.
"""

from __future__ import annotations

import os


def set_num_threads(num: int) -> None:
    """Use ``num`` threads in the CPU backend's BLAS and OpenMP pools, from now on."""
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {num!r}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=num)  # applies at once, process-wide, until changed again


def get_num_threads() -> int:
    """The number of threads of the CPU backend's BLAS pool (the CPU count if none is loaded)."""
    from threadpoolctl import threadpool_info

    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else os.cpu_count() or 1
