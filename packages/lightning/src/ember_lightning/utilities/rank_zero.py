"""``rank_zero_only``: run a function on the global rank 0 process only (Lightning's name).

The rank comes from the launcher's environment (``RANK``, or MPI's ``PMI_RANK`` /
``OMPI_COMM_WORLD_RANK``) and is updated by the DDP strategy once the process group exists.
"""

from __future__ import annotations

import functools
import os


def _rank_from_env() -> int:
    for var in ("RANK", "PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if os.environ.get(var):
            return int(os.environ[var])
    return 0


def rank_zero_only(fn):
    """Decorator: call ``fn`` only where ``rank_zero_only.rank == 0`` (else return None)."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        if rank_zero_only.rank == 0:
            return fn(*args, **kwargs)
        return None

    return wrapped


rank_zero_only.rank = _rank_from_env()

__all__ = ["rank_zero_only"]
