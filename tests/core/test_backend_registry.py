"""The device registry: backends join through the pluggy hook (the CPU one too), plugins are
found through the ``ember.backends`` entry points lazily, and missing backends, kernels and
broken plugins give errors that say what is wrong."""

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ember
import ember.backends as eb
from ember.backends import cpu as cpu_plugin

HERE = Path(__file__).resolve().parent


def _run(code: str, env_path: str | None = None) -> str:
    """Run ``code`` in a fresh interpreter (optionally with ``env_path`` on PYTHONPATH)."""
    import os

    env = dict(os.environ)
    if env_path:
        env["PYTHONPATH"] = env_path + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def fake_installed():
    spec = importlib.util.spec_from_file_location(
        "fake_backend_ensure_installed", HERE / "fake_backend_pkg" / "ensure_installed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ensure_installed()


# ---- the CPU backend is a plugin like any other --------------------------------------------

def test_cpu_backend_registered_through_the_hook():
    impls = eb.registry._pm.hook.ember_register_backends.get_hookimpls()
    assert cpu_plugin in [impl.plugin for impl in impls]
    backend = eb.get_backend("cpu")
    assert isinstance(backend, eb.Backend) and backend.name == "cpu"
    from ember.ops.primitives import PRIMITIVES

    assert set(PRIMITIVES) <= set(backend.kernels)


def test_register_rejects_non_backends():
    with pytest.raises(TypeError, match="expects an ember.backends.Backend"):
        eb.registry.register(object())


# ---- lazy entry points ------------------------------------------------------------------------

def test_entry_points_not_read_at_import():
    out = _run("""
        import importlib.metadata as md
        calls = []
        real = md.entry_points
        md.entry_points = lambda *a, **k: calls.append(k) or real(*a, **k)
        import ember
        from ember.backends import registry
        print(registry._entry_points_loaded, bool(calls))
        ember.zeros(2) + 1  # CPU work reads no entry points either
        print(registry._entry_points_loaded, bool(calls))
        try:
            ember.zeros(2, device="nosuchdevice")
        except RuntimeError:
            pass
        print(registry._entry_points_loaded, bool(calls))
    """)
    assert out.split("\n")[:3] == ["False False", "False False", "True True"]


def test_import_ember_does_not_import_importlib_metadata():
    out = _run("import sys, ember; print('importlib.metadata' in sys.modules)")
    assert out.strip() == "False"


# ---- devices that are not there ---------------------------------------------------------------

def _plugin_installed(name: str) -> bool:
    import importlib.metadata as md

    return any(ep.name == name for ep in md.entry_points(group="ember.backends"))


@pytest.mark.skipif(_plugin_installed("cuda") or _plugin_installed("opencl"),
                    reason="a cuda/opencl plugin is installed here")
def test_missing_gpu_backends_answer_cleanly():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.opencl.is_available() is False
    assert ember.opencl.device_count() == 0
    with pytest.raises(RuntimeError, match=r"no ember backend is registered for device type "
                                           r"'cuda'.*pip install ember-cuda"):
        ember.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="ember-opencl"):
        ember.ones(3).to("opencl")
    with pytest.raises(AttributeError, match="no 'cuda' backend is installed"):
        ember.cuda.memory_allocated  # noqa: B018


def test_unknown_backend_attribute_is_attribute_error():
    with pytest.raises(AttributeError):
        ember.no_such_backend_or_attr  # noqa: B018


# ---- a backend with a partial kernel table -----------------------------------------------

class PartialBackend(eb.Backend):
    """NumPy arrays, but only creation, add and exp: everything else must fail clearly."""

    name = "partial"

    def __init__(self):
        super().__init__()
        self.kernels = {"full": lambda shape, value, dtype, index: np.full(shape, value, dtype),
                        "add": np.add, "exp": np.exp}

    def from_numpy(self, array, index=None):
        return np.array(array)

    def to_numpy(self, array):
        return np.array(array)

    def strides(self, array):
        return tuple(s // array.itemsize for s in array.strides)

    def storage_offset(self, array):
        return 0


class _PartialPlugin:
    @eb.hookimpl
    def ember_register_backends(self, registry):
        registry.register(PartialBackend())


@pytest.fixture
def partial_backend():
    plugin = _PartialPlugin()
    eb.registry.add_plugin(plugin)  # the same hook path as an entry-point plugin
    yield eb.get_backend("partial")
    eb.registry._pm.unregister(plugin)
    eb.registry._backends.pop("partial", None)


def test_missing_kernel_names_op_and_device(partial_backend):
    x = ember.ones(3, device="partial")
    assert x.device == ember.device("partial", 0)  # a bare name resolves to index 0
    np.testing.assert_array_equal((x + x).to("cpu").numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(NotImplementedError, match=r"'mul' on device 'partial'"):
        x * x
    # a decomposed op fails on the first primitive that its decomposition lacks
    with pytest.raises(NotImplementedError, match=r"'sub' on device 'partial'"):
        x.expm1()
    assert "partial" in eb.available_backends()


# ---- plugins found through entry points ----------------------------------------------------

def test_fake_backend_comes_from_its_entry_point(fake_installed):
    out = _run("""
        import ember
        from ember.backends import registry
        assert "fake" not in registry._backends and not registry._entry_points_loaded
        x = ember.arange(4.0, device="fake")
        backend = registry.get("fake")
        from ember.ops.primitives import PRIMITIVES
        print(type(backend).__module__, sorted(backend.kernels) == sorted(PRIMITIVES),
              ember.fake.device_count(), ember.fake.is_fake(), (x * 2).sum().item())
    """)
    assert out.split() == ["ember_fake.plugin", "True", "2", "True", "12.0"]


def test_broken_plugin_is_reported(tmp_path):
    """A plugin whose import fails doesn't break ember; using its device says why."""
    dist = tmp_path / "ember_broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ember-broken-plugin\n"
                                   "Version: 0.1\n")
    (dist / "entry_points.txt").write_text("[ember.backends]\nbroken = ember_broken_plugin\n")
    (tmp_path / "ember_broken_plugin.py").write_text(
        "raise ImportError('libbroken.so: cannot open shared object file')\n")
    out = _run("""
        import ember
        assert ember.zeros(2).sum().item() == 0  # ember itself still works
        try:
            ember.zeros(2, device="broken")
        except RuntimeError as exc:
            print(exc)
    """, env_path=str(tmp_path))
    assert "no ember backend is registered for device type 'broken'" in out
    assert "its plugin failed to load" in out
    assert "ImportError: libbroken.so: cannot open shared object file" in out
