"""A CPU check of the CUDA backend's Python logic — NOT a GPU test.

``CUDABackend``'s kernels are written against an array module ``xp``; ``numpy_device.py``
registers an instance whose ``xp`` is NumPy as the device ``cudacheck``. Here it runs:

- ember's backend conformance kit (every op of the op database, forward and gradient, against
  the CPU backend in float64; views, in-place ops, version counters, device mixing, training);
- an example training script, whose printed losses must match the CPU's.

What it cannot check: the CUDA C kernels of ``fused.py`` (compiled by test_kernel_sources.py,
run by plugins/cuda/gpu_check.sh), CuPy's own behaviour (cuBLAS, its sort, its memory
pool), streams and events. Those need a GPU: test_gpu.py and the kit with ``--ember-device cuda``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy_device import DeviceArray, NumpyArrays, make_backend, register, unregister

import ember
from ember.ops.primitives import PRIMITIVES

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH")) if p)
    return env


def test_conformance_kit_on_the_numpy_backed_instance():
    cmd = [sys.executable, "-m", "pytest", "-p", "numpy_device", "--pyargs",
           "ember.testing.conformance", "--ember-device", "cudacheck", "-q",
           "-p", "no:cacheprovider", "--tb=short"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, env=_env(), timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-12000:]
    passed = int(re.search(r"(\d+) passed", out).group(1))
    assert passed > 1500 and " failed" not in out
    # only gradcheck/gradgradcheck skip (they run on the CPU only); no dtype is refused
    assert re.search(r"passed, 2 skipped", out), out[-3000:]


def test_instance_registers_every_primitive_and_the_fast_paths():
    backend = make_backend()
    assert backend.is_available() and backend.device_count() == 1
    missing = set(PRIMITIVES) - set(backend.kernels)
    assert not missing, f"primitives without a kernel: {sorted(missing)}"
    for fast in ("linear", "linear_backward", "convolution", "convolution_backward_input",
                 "convolution_backward_weight", "native_norm", "native_norm_backward",
                 "cross_entropy_nll", "cross_entropy_nll_backward", "softmax", "log_softmax",
                 "scaled_dot_product_attention", "max_pool_with_indices", "add_", "addcmul_"):
        assert fast in backend.kernels, fast


def test_kernels_run_on_their_operands_device_with_several_gpus():
    """With two devices every kernel makes its first array operand's device current (CuPy
    launches on the current device); creation kernels choose theirs from their index."""
    from contextlib import contextmanager

    from ember_cuda.backend import build_kernels

    made_current = []

    class TwoDevices(NumpyArrays):
        def device_count(self):
            return 2

        def device_of(self, array):
            return 1

        @contextmanager
        def on_device(self, index):
            made_current.append(index)
            yield

    table = build_kernels(TwoDevices())
    a = np.arange(4.0).view(DeviceArray)
    np.testing.assert_array_equal(table["add"](a, a), 2 * a)
    assert made_current == [1]
    table["cat"]([a, a], 0)
    assert made_current == [1, 1]
    table["full"]((2,), 3.0, np.dtype("float32"), 0)
    assert made_current[-1] == 0  # the creation kernel's own index


@pytest.fixture
def cudacheck():
    register()
    yield "cudacheck"
    unregister()


def test_kernels_refuse_host_arrays_like_cupy():
    """The check's kernels take its DeviceArrays only, so a host array that ember code would
    hand to a CUDA kernel fails here as it would on CuPy."""
    backend = make_backend()
    assert backend.is_available()
    device = backend.from_numpy(np.ones(3, np.float32))
    np.testing.assert_array_equal(backend.to_numpy(backend.kernels["add"](device, 1.0)), 2.0)
    with pytest.raises(TypeError, match="host numpy.ndarray"):
        backend.kernels["add"](device, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="host numpy.ndarray"):
        backend.kernels["index"](device, (np.array([0, 1]),))


def test_views_share_memory_and_report_strides(cudacheck):
    base = ember.arange(24.0, device=cudacheck).reshape(2, 3, 4)
    view = base.permute(2, 0, 1)[1:, :, ::2]
    assert view.stride() == (1, 12, 8) and view.storage_offset() == 1
    view.mul_(0.0)
    expected = np.arange(24.0).reshape(2, 3, 4)
    expected.transpose(2, 0, 1)[1:, :, ::2] = 0.0
    np.testing.assert_array_equal(base.cpu().numpy(), expected.astype(np.float32))
    with pytest.raises(RuntimeError, match="out of bounds for a storage of 24 elements"):
        base.as_strided((5, 5), (5, 1), 0)


def _losses(stdout: str) -> list[float]:
    return [float(m) for m in re.findall(r"loss (\d+\.\d+)", stdout)]


def test_example_trains_to_the_cpu_losses():
    script = EXAMPLES / "train_mlp.py"
    if not script.exists():
        pytest.skip("examples/train_mlp.py is not next to the tests")
    runs = {}
    for device in ("cpu", "cudacheck"):
        code = ("import sys, runpy, numpy_device; numpy_device.register(); "
                f"sys.argv = ['train_mlp.py', '--device', '{device}', '--steps', '100']; "
                f"runpy.run_path({str(script)!r}, run_name='__main__')")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=_env(), timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs[device] = _losses(proc.stdout)
    assert len(runs["cpu"]) >= 2
    np.testing.assert_allclose(runs["cudacheck"], runs["cpu"], rtol=1e-3)


def test_benchmark_script_runs_on_the_instance():
    """benchmarks/bench_cuda.py end to end with tiny sizes (a smoke test of the script that the
    GPU check runs; its numbers here mean nothing)."""
    script = HERE.parents[1] / "benchmarks" / "bench_cuda.py"
    code = ("import sys, runpy, numpy_device; numpy_device.register(); "
            "sys.argv = ['bench_cuda.py', '--device', "
            f"'cudacheck', '--tiny', '--quick']; runpy.run_path({str(script)!r}, "
            "run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    training = [r for r in rows if " step " in r or "autocast" in r]
    assert len(training) == 4 and all(re.search(r"\| [0-9.]+ ms \|", r) for r in training), rows
    assert any(r.startswith("| op launch") and " µs " in r for r in rows)
