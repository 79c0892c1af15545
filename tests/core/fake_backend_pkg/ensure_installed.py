"""Install ember-fake-backend into the running interpreter when it is missing (used by the tests).

``pip install --no-deps --no-build-isolation`` first (offline machines: the environment's own
setuptools builds it); where that setuptools cannot build wheels by itself (older than 70.1
without the ``wheel`` package) pip retries with build isolation. The package is copied to a
temporary folder first so that the build leaves nothing in the source tree.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def is_installed() -> bool:
    return any(ep.name == "fake" for ep in importlib.metadata.entry_points(group="ember.backends"))


def ensure_installed() -> None:
    """Make ``ember_fake`` importable and its ``ember.backends`` entry point visible; raise
    RuntimeError with pip's output when that fails."""
    if is_installed():
        return
    logs = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fake_backend_pkg"
        shutil.copytree(HERE, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                 "__pycache__"))
        for extra in (["--no-build-isolation"], []):
            cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *extra, str(src)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            logs.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
            if proc.returncode == 0:
                break
    importlib.invalidate_caches()
    if not is_installed():
        raise RuntimeError("could not install ember-fake-backend:\n" + "\n".join(logs)[-4000:])
