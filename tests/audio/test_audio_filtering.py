"""lfilter / filtfilt / biquads against scipy.signal in float64, gradients by gradcheck."""

import math

import numpy as np
import pytest
import scipy.signal

import ember
import ember_audio.functional as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(5)


def t(a, **kw):
    return ember.tensor(a, **kw)


@pytest.mark.parametrize("length", [1, 7, 128, 129, 1000])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_lfilter_matches_scipy(length, order):
    b, a = scipy.signal.butter(order, 0.2)
    a = a * 1.7                                    # un-normalised a[0]: lfilter divides by it
    b = b * 1.7
    x = RNG.standard_normal((2, 3, length)) * 0.1
    got = F.lfilter(t(x), t(a), t(b), clamp=False)
    np.testing.assert_allclose(got.numpy(), scipy.signal.lfilter(b, a, x, axis=-1), atol=1e-12)


def test_lfilter_resonant_filter_long_signal():
    """A pole pair at radius 0.999: the block recursion must carry the state exactly."""
    r, theta = 0.999, 0.05
    a = np.array([1.0, -2 * r * math.cos(theta), r * r])
    b = np.array([0.01, 0.0, -0.01])
    x = RNG.standard_normal(5000)
    got = F.lfilter(t(x), t(a), t(b), clamp=False)
    np.testing.assert_allclose(got.numpy(), scipy.signal.lfilter(b, a, x), atol=1e-10)


def test_lfilter_batched_coefficients_and_clamp():
    b1, a1 = scipy.signal.butter(2, 0.1)
    b2, a2 = scipy.signal.butter(2, 0.3, "high")
    x = RNG.standard_normal((4, 2, 300))
    got = F.lfilter(t(x), t(np.stack([a1, a2])), t(np.stack([b1, b2])), clamp=True)
    want = np.stack([scipy.signal.lfilter(b1, a1, x[:, 0]), scipy.signal.lfilter(b2, a2, x[:, 1])],
                    axis=1)
    np.testing.assert_allclose(got.numpy(), np.clip(want, -1, 1), atol=1e-12)
    # batching=False: every filter on every signal → a new dim
    got = F.lfilter(t(x[:, 0]), t(np.stack([a1, a2])), t(np.stack([b1, b2])), clamp=False,
                    batching=False)
    assert got.shape == (4, 2, 300)
    np.testing.assert_allclose(got.numpy()[:, 1], scipy.signal.lfilter(b2, a2, x[:, 0]),
                               atol=1e-12)


def test_filtfilt_is_forward_then_backward_lfilter():
    """torchaudio's filtfilt: zero initial state both ways, no edge padding (scipy's filtfilt
    adds padding and steady-state initial conditions, so compose scipy's lfilter instead)."""
    b, a = scipy.signal.butter(3, 0.25)
    x = RNG.standard_normal((2, 400)) * 0.2
    got = F.filtfilt(t(x), t(a), t(b), clamp=False)
    want = scipy.signal.lfilter(b, a, scipy.signal.lfilter(b, a, x)[..., ::-1])[..., ::-1]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def cookbook(kind, fs, f0, q, gain=0.0):
    """Robert Bristow-Johnson's Audio EQ Cookbook coefficients, written out independently."""
    w0 = 2 * math.pi * f0 / fs
    cos, alpha = math.cos(w0), math.sin(w0) / (2 * q)
    big_a = 10 ** (gain / 40)
    b = {"lowpass": [(1 - cos) / 2, 1 - cos, (1 - cos) / 2],
         "highpass": [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2],
         "bandpass": [alpha, 0, -alpha],
         "bandreject": [1, -2 * cos, 1],
         "allpass": [1 - alpha, -2 * cos, 1 + alpha],
         "equalizer": [1 + alpha * big_a, -2 * cos, 1 - alpha * big_a]}[kind]
    a = [1 + alpha / big_a, -2 * cos, 1 - alpha / big_a] if kind == "equalizer" else \
        [1 + alpha, -2 * cos, 1 - alpha]
    return np.array(b), np.array(a)


@pytest.mark.parametrize("kind", ["lowpass", "highpass", "bandpass", "bandreject", "allpass",
                                  "equalizer"])
def test_biquads_match_cookbook_with_scipy(kind):
    x = RNG.standard_normal((1, 500)) * 0.1
    fs, f0, q = 16000, 1200.0, 0.9
    fn = getattr(F, f"{kind}_biquad")
    got = fn(t(x), fs, f0, 3.0, q) if kind == "equalizer" else fn(t(x), fs, f0, q)
    b, a = cookbook(kind, fs, f0, q, gain=3.0 if kind == "equalizer" else 0.0)
    np.testing.assert_allclose(got.numpy(), np.clip(scipy.signal.lfilter(b, a, x), -1, 1),
                               atol=1e-12)


def test_lfilter_gradcheck_signal_and_coefficients():
    x = t(RNG.standard_normal((1, 40)) * 0.3, requires_grad=True)
    a = t([1.0, -0.6, 0.2], dtype=ember.float64, requires_grad=True)
    b = t([0.3, 0.2, 0.1], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, a, b: F.lfilter(x, a, b, clamp=False), (x, a, b))


def test_biquad_gradient_reaches_cutoff():
    x = t(RNG.standard_normal((1, 64)) * 0.3)
    cutoff = t(900.0, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda c: F.lowpass_biquad(x, 8000, c), (cutoff,))


def test_lfilter_errors():
    with pytest.raises(ValueError, match="same size"):
        F.lfilter(ember.zeros(1, 10), ember.ones(3), ember.ones(2))
    with pytest.raises(ValueError, match="number of batches"):
        F.lfilter(ember.zeros(3, 10), ember.ones(2, 3), ember.ones(2, 3))
