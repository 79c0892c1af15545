"""The CPU backend's float32 exact-GELU kernel (Abramowitz & Stegun 7.1.26 erf, as PyTorch's
vectorised CPU kernel) against x·Φ(x) in float64 from SciPy's ndtr."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F

sp = pytest.importorskip("scipy.special")


def _reference(x: np.ndarray) -> np.ndarray:
    x64 = x.astype(np.float64)
    return x64 * sp.ndtr(x64)


def test_float32_gelu_matches_float64_reference_over_a_wide_range():
    x = np.concatenate([np.linspace(-20, 20, 200_001, dtype=np.float32),
                        np.array([0.0, -0.0, 1e-30, -1e-30, 1e-8, -1e-8], np.float32)])
    got = F.gelu(ember.from_numpy(x)).numpy()
    assert got.dtype == np.float32
    ref = _reference(x)
    # A&S 7.1.26's erf error (<= 1.5e-7) times |x|/2, plus float32 rounding
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-7 * np.maximum(1, np.abs(x)).max())
    # the negative tail keeps its relative accuracy (no 1 + erf cancellation)
    tail = (x < -3) & (x > -12)
    assert np.max(np.abs(got[tail] - ref[tail]) / np.abs(ref[tail])) < 0.05


def test_float32_gelu_shapes_layouts_and_special_values():
    x = ember.randn(7, 5, 40_000).transpose(0, 2)  # non-contiguous, more than one block
    got = F.gelu(x)
    assert tuple(got.shape) == (40_000, 5, 7)
    np.testing.assert_allclose(got.numpy(), _reference(x.numpy()), rtol=2e-6, atol=1e-6)
    assert F.gelu(ember.tensor(1.0)).item() == pytest.approx(0.8413447, abs=1e-6)
    assert tuple(F.gelu(ember.zeros(0, 3)).shape) == (0, 3)
    special = F.gelu(ember.tensor([float("inf"), float("nan")])).numpy()
    assert special[0] == np.inf and np.isnan(special[1])


def test_float32_gelu_gradient_is_unchanged():
    x = ember.linspace(-6, 6, 101).requires_grad_()
    F.gelu(x).sum().backward()
    x64 = np.linspace(-6, 6, 101)
    expected = sp.ndtr(x64) + x64 * np.exp(-x64 ** 2 / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
