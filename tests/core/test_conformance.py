"""The backend conformance kit (``ember.testing.conformance``) run on the CPU and on the ``fake``
backend: a third-party-style plugin installed through pip that registers only the primitives.

Each device runs in a subprocess exactly as a backend author would run the kit
(``python -m pytest --pyargs ember.testing.conformance --ember-device NAME``); a failure shows
the kit's own report.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load_installer():
    spec = importlib.util.spec_from_file_location(
        "fake_backend_ensure_installed", HERE / "fake_backend_pkg" / "ensure_installed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fake_installed():
    _load_installer().ensure_installed()


def run_kit(device: str, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pytest", "--pyargs", "ember.testing.conformance",
           "--ember-device", device, "-q", "-p", "no:cacheprovider", "--tb=short", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=600)


def _assert_passes(proc: subprocess.CompletedProcess, device: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"conformance kit failed on '{device}':\n{out[-12000:]}"
    assert " passed" in out and " failed" not in out


def test_kit_on_cpu():
    proc = run_kit("cpu", "-rA")
    _assert_passes(proc, "cpu")
    # on the CPU the kit also runs gradcheck and gradgradcheck for the op database
    assert "PASSED conformance.py::test_gradcheck[add]" in proc.stdout.replace("../", "") or \
        "::test_gradcheck[add]" in proc.stdout
    assert "::test_gradgradcheck[mul]" in proc.stdout


def test_kit_on_fake_backend(fake_installed):
    proc = run_kit("fake")
    _assert_passes(proc, "fake")
    # on a non-CPU device gradcheck is replaced by test_grad, and that skip says so
    assert "gradcheck runs on the CPU only" in proc.stdout


def test_kit_on_second_fake_device(fake_installed):
    """Device indices: the whole device-level part of the kit on fake:1."""
    _assert_passes(run_kit("fake:1", "-k", "not test_forward and not test_grad"), "fake:1")


def test_kit_stops_on_missing_device():
    proc = run_kit("nosuchdevice", "-k", "test_numpy_on_device")
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, proc.stdout + proc.stderr
    assert "device 'nosuchdevice' cannot be used" in proc.stdout + proc.stderr


# ---- ember.testing helpers the kit relies on ------------------------------------------------

def test_assert_close_defaults_and_messages():
    import ember
    from ember.testing import assert_close

    a = ember.tensor([1.0, 2.0, 3.0])
    assert_close(a, a + 5e-6)  # float32: atol 1e-5
    with pytest.raises(AssertionError) as info:
        assert_close(a, ember.tensor([1.0, 2.5, 3.0]))
    msg = str(info.value)
    assert "Tensor-likes are not close!" in msg and "Mismatched elements: 1 / 3 (33.3%)" in msg
    assert "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)" in msg
    assert "Greatest relative difference: 0.2 at index (1,) (up to 1.3e-06 allowed)" in msg
    d = a.double()
    with pytest.raises(AssertionError, match="up to 1e-07 allowed"):
        assert_close(d, d + 1e-6)  # float64 defaults are tighter
    with pytest.raises(AssertionError, match="'dtype' do not match"):
        assert_close(a, d)
    assert_close(a, d, check_dtype=False)
    with pytest.raises(AssertionError, match="'shape' do not match"):
        assert_close(a, ember.ones(4))
    with pytest.raises(AssertionError, match="not equal"):
        assert_close(ember.tensor([1, 2]), ember.tensor([1, 3]))
    nan = ember.tensor([float("nan")])
    with pytest.raises(AssertionError):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    with pytest.raises(AssertionError, match=r"item \[1\]\['x'\]"):
        assert_close([a, {"x": a}], [a, {"x": a * 2}])
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(a, a, rtol=1e-3)
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(a, 1.0)
    with pytest.raises(AssertionError, match="custom"):
        assert_close(a, a * 2, msg="custom")


def test_assert_close_devices(fake_installed):
    import ember
    from ember.testing import assert_close

    a = ember.arange(3.0)
    with pytest.raises(AssertionError, match="'device' do not match: cpu != fake"):
        assert_close(a, a.to("fake"))
    assert_close(a, a.to("fake"), check_device=False)


def test_make_tensor():
    import ember
    from ember.testing import make_tensor

    ember.manual_seed(0)
    t = make_tensor((200,), dtype=ember.float32, device="cpu", low=-1, high=2)
    v = t.numpy()
    assert t.dtype is ember.float32 and v.min() >= -1 and v.max() < 2 and v.std() > 0.5
    i = make_tensor(3, 4, dtype=ember.int64, device="cpu", low=0, high=3, exclude_zero=True)
    assert i.shape == (3, 4) and set(i.numpy().ravel()) <= {1, 2}
    n = make_tensor(2, 3, dtype=ember.float64, device="cpu", noncontiguous=True,
                    requires_grad=True)
    assert not n.is_contiguous() and n.requires_grad and n.is_leaf
    ember.manual_seed(0)
    again = make_tensor((200,), dtype=ember.float32, device="cpu", low=-1, high=2)
    assert (again == t).all()
    with pytest.raises(ValueError, match="low must be less than or equal to high"):
        make_tensor(2, dtype=ember.float32, device="cpu", low=2, high=1)
