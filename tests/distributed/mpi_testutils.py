"""Helpers of the ember.distributed tests: real MPI jobs started with
``python -m ember.distributed.run -n N script`` (a uniquely named module, not a conftest, so that
it never clashes with other test folders' helpers)."""

import os
import signal
import subprocess
import sys

import pytest

import ember.distributed as dist

SCRIPTS = os.path.join(os.path.dirname(__file__), "scripts")


requires_mpi = pytest.mark.skipif(not dist.is_mpi_available(), reason="needs mpi4py and mpiexec")


def run_mpi(n: int, script: str, *args, timeout: float = 90, cwd=None, env=None):
    """Run ``scripts/<script>`` on ``n`` ranks; returns the CompletedProcess. Never hangs: after
    ``timeout`` seconds the job's whole process group (mpiexec and the ranks) is killed."""
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n),
           os.path.join(SCRIPTS, script), *map(str, args)]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                          env=full_env, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def check(proc) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
