"""ember-cuda on a machine without a usable GPU (this machine, CI): the plugin installs and is
found through its entry point, ``ember.cuda.is_available()`` is False without an exception or
a warning, and asking for ``device="cuda"`` raises an error that says why.

The real path runs in fresh subprocesses (the backend probes CuPy once per process). The other
reasons (CuPy missing, no device, a CUDA runtime error) are produced by replacing the ``cupy``
module, so they are tested here too.
"""

from __future__ import annotations

import subprocess
import sys
import types
import warnings

import pytest

import ember
import ember.backends as eb
from ember_cuda import CUDABackend, Unavailable
from ember_cuda.availability import INSTALL_HINT, load_cupy_arrays

try:
    import cupy
    GPU = cupy.is_available()
except ImportError:
    cupy, GPU = None, False

# how every reason starts (availability.py), whichever applies to this machine
REASONS = ("no usable NVIDIA driver", "no CUDA device found", "CuPy is not installed",
           "CuPy failed to import", "the CUDA runtime failed", "the CUDA runtime library")

no_gpu = pytest.mark.skipif(GPU, reason="this machine has a GPU: the no-GPU path can't be seen")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, timeout=120)


def test_plugin_is_found_through_its_entry_point():
    backend = eb.registry.get("cuda")
    assert isinstance(backend, CUDABackend) and backend.name == "cuda"
    assert "cuda" in eb.registry.names()


@no_gpu
def test_is_available_is_false_quietly_and_device_requests_say_why():
    """In a fresh process with warnings turned into errors: no warning, no exception."""
    code = """
import ember
assert ember.cuda.is_available() is False
assert ember.cuda.device_count() == 0
assert "cuda" not in ember.backends.available_backends()
ember.cuda.synchronize()  # a no-op without a device, like torch.cuda on a CPU build
for make in (lambda: ember.zeros(2, device="cuda"), lambda: ember.ones(2).cuda(),
             lambda: ember.ones(2).to("cuda:1")):
    try:
        make()
    except RuntimeError as exc:
        print("ERROR:", exc)
    else:
        raise AssertionError("no error for a cuda tensor without a GPU")
"""
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    errors = [line for line in proc.stdout.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 3
    for line in errors:
        assert "is not available" in line and "cuda" in line
        assert any(reason in line for reason in REASONS), line


@no_gpu
def test_cuda_namespace_functions_raise_the_reason():
    backend = CUDABackend()
    functions = backend.namespace()
    for name in ("memory_allocated", "max_memory_allocated", "empty_cache", "current_device",
                 "get_device_name"):
        with pytest.raises(RuntimeError, match="backend is not available: "):
            functions[name]()
    with pytest.raises(RuntimeError, match="not available"):
        functions["Event"](enable_timing=True)
    assert backend.kernels == {}  # nothing is built without a device


def test_cupy_missing_is_reported_with_the_install_hint():
    """CuPy's import fails (simulated by a None entry in sys.modules, like a missing package)."""
    code = """
import sys
sys.modules["cupy"] = None  # `import cupy` now raises ImportError
import ember
assert ember.cuda.is_available() is False
try:
    ember.zeros(1, device="cuda")
except RuntimeError as exc:
    print(exc)
"""
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "CuPy is not installed" in proc.stdout and INSTALL_HINT in proc.stdout
    assert "device 'cuda:" in proc.stdout or "device 'cuda'" in proc.stdout


def _fake_cupy(get_count) -> types.ModuleType:
    module = types.ModuleType("cupy")
    module.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count))
    return module


class _FakeCudaError(RuntimeError):
    pass


@pytest.mark.parametrize("raised, expected", [
    ("cudaErrorNoDevice: no CUDA-capable device is detected", "no CUDA device found"),
    ("libcudart.so.13: cannot open shared object file", "the CUDA runtime library could not"),
    ("cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version",
     "no usable NVIDIA driver"),
    ("cudaErrorUnknown: unknown error", "the CUDA runtime failed: _FakeCudaError"),
])
def test_runtime_errors_become_reasons(monkeypatch, raised, expected):
    def get_count():
        raise _FakeCudaError(raised)

    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(get_count))
    with pytest.raises(Unavailable) as info:
        load_cupy_arrays()
    assert expected in str(info.value) and raised in str(info.value)
    backend = CUDABackend()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backend.is_available() is False and backend.device_count() == 0
    assert expected in backend.unavailable_reason()


def test_zero_devices_and_cupy_warnings_are_reported(monkeypatch):
    def get_count():
        warnings.warn("CUDA path could not be detected", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(get_count))
    backend = CUDABackend()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is folded into the reason, not emitted
        assert not backend.is_available()
    reason = backend.unavailable_reason()
    assert "reports 0 GPUs" in reason and "CuPy warned: CUDA path could not be detected" in reason


def test_a_broken_cupy_is_reported(monkeypatch):
    broken = types.ModuleType("cupy")

    def fail(name):
        raise OSError("libcudart.so.13: cannot open shared object file")

    broken.__getattr__ = fail
    monkeypatch.setitem(sys.modules, "cupy", broken)
    backend = CUDABackend()
    assert not backend.is_available()
    assert "libcudart.so.13" in backend.unavailable_reason()


def test_registry_error_names_the_device_type():
    """The error any device="cuda" request raises comes from the core with our reason."""
    backend = CUDABackend(api_factory=_raise_unavailable, name="cudaprobe")
    eb.registry.register(backend)
    try:
        with pytest.raises(RuntimeError, match="'cudaprobe:0' is not available|'cudaprobe' is "
                                               "not available") as info:
            ember.zeros(1, device="cudaprobe")
        assert "no GPU in this test" in str(info.value)
    finally:
        eb.registry._backends.pop("cudaprobe", None)


def _raise_unavailable():
    raise Unavailable("no GPU in this test")
