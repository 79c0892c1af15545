"""Helpers that start real MPI jobs (``python -m ember.distributed.run -n N script``)."""

import os
import subprocess
import sys

import pytest

SCRIPTS = os.path.join(os.path.dirname(__file__), "scripts")


def mpi_available() -> bool:
    try:
        import mpi4py  # noqa: F401

        from ember.distributed.run import find_mpiexec

        find_mpiexec()
    except (ImportError, RuntimeError):
        return False
    return True


requires_mpi = pytest.mark.skipif(not mpi_available(), reason="needs mpi4py and mpiexec")


def run_mpi(n: int, script: str, *args, timeout: float = 90, cwd=None, env=None):
    """Run ``scripts/<script>`` on ``n`` ranks; returns the CompletedProcess (never hangs: the
    whole job is killed after ``timeout`` seconds)."""
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n),
           os.path.join(SCRIPTS, script), *map(str, args)]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env=full_env, start_new_session=True)


def check(proc) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
