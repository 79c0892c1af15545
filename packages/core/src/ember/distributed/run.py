"""The launcher: ``python -m ember.distributed.run -n 4 train.py args…`` runs ``train.py`` in 4
processes under ``mpiexec`` (the one from the ``mpich`` wheel, or the first on ``PATH``).

The environment passes through to every rank; inside, ``init_process_group("mpi")`` finds the
ranks. With MPICH's Hydra, ``-disable-auto-cleanup`` is set so that when one rank dies the others
live long enough to report which collective and which rank failed (their timeout) — a rank that
raises an uncaught exception still aborts the whole job at once (see ``world.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig


def find_mpiexec() -> str:
    """The ``mpiexec`` next to this Python (the ``mpich`` wheel installs it there), else the one
    on ``PATH``; a clear error when there is none."""
    here = os.path.join(sysconfig.get_path("scripts"), "mpiexec")
    if os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise RuntimeError("ember.distributed.run: no mpiexec found (looked in "
                           f"{os.path.dirname(here)} and on PATH). Install one with "
                           "pip install 'ember-core[distributed]' (mpi4py + mpich).")
    return found


def _is_hydra(mpiexec: str) -> bool:
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "HYDRA" in out.stdout.upper()


def mpiexec_command(nproc: int, program: list[str], hostfile: str | None = None) -> list[str]:
    """The full ``mpiexec … python program…`` command line for ``nproc`` ranks."""
    if nproc < 1:
        raise ValueError(f"the number of processes must be >= 1, got {nproc}")
    mpiexec = find_mpiexec()
    cmd = [mpiexec]
    if _is_hydra(mpiexec):
        cmd.append("-disable-auto-cleanup")
    if hostfile:
        cmd += ["-f", hostfile]
    return cmd + ["-n", str(nproc), sys.executable, *program]


def exec_under_mpiexec(nproc: int, program: list[str], hostfile: str | None = None):
    """Replace this process by ``mpiexec`` running ``python program…`` on ``nproc`` ranks."""
    cmd = mpiexec_command(nproc, program, hostfile)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(cmd[0], cmd)


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                description="Run a training script on several processes (MPI).")
    p.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int,
                   default=1, help="number of processes (default 1)")
    p.add_argument("--hostfile", default=None, help="MPI host file, for several machines")
    p.add_argument("-m", dest="module", action="store_true",
                   help="run the program as a module (python -m program)")
    p.add_argument("program", help="the script (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p.parse_args(argv)


def main(argv=None) -> None:
    ns = _parse(sys.argv[1:] if argv is None else argv)
    program = (["-m"] if ns.module else []) + [ns.program, *ns.args]
    try:
        exec_under_mpiexec(ns.nproc, program, ns.hostfile)
    except (RuntimeError, ValueError) as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
