"""ember.stft / ember.istft / window functions against scipy and a float64 NumPy reference
(explicit framing loop), gradients by gradcheck, and errors."""

import numpy as np
import pytest
import scipy.signal

import ember
from ember.autograd import gradcheck

RNG = np.random.default_rng(3)


def numpy_stft(x, n_fft, hop, window, center=True, pad_mode="reflect", normalized=False,
               onesided=True):
    """torch.stft's definition written as a loop: frame t starts at t*hop of the padded signal."""
    if center:
        x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=pad_mode)
    n_frames = 1 + (x.shape[-1] - n_fft) // hop
    frames = np.stack([x[..., t * hop:t * hop + n_fft] * window for t in range(n_frames)], -1)
    spec = np.fft.fft(frames, axis=-2)
    if onesided:
        spec = spec[..., :n_fft // 2 + 1, :]
    return spec / np.sqrt(n_fft) if normalized else spec


@pytest.mark.parametrize("name, scipy_name", [
    ("hann_window", "hann"), ("hamming_window", "hamming"), ("blackman_window", "blackman"),
    ("bartlett_window", "bartlett")])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_scipy(name, scipy_name, periodic):
    for n in (1, 2, 7, 16):
        got = getattr(ember, name)(n, periodic, dtype=ember.float64).numpy()
        np.testing.assert_allclose(got, scipy.signal.get_window(scipy_name, n, fftbins=periodic),
                                   atol=1e-14)


def test_kaiser_window_matches_scipy():
    for periodic in (True, False):
        got = ember.kaiser_window(12, periodic, beta=7.5, dtype=ember.float64).numpy()
        want = scipy.signal.get_window(("kaiser", 7.5), 12, fftbins=periodic)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert ember.hann_window(5).dtype == ember.float32


@pytest.mark.parametrize("center, pad_mode", [(True, "reflect"), (True, "constant"),
                                              (False, "reflect")])
@pytest.mark.parametrize("normalized", [False, True])
def test_stft_matches_numpy(center, pad_mode, normalized):
    x = RNG.standard_normal((2, 100))
    win = scipy.signal.get_window("hann", 32)
    got = ember.stft(ember.tensor(x), 32, 8, window=ember.tensor(win), center=center,
                     pad_mode=pad_mode, normalized=normalized, return_complex=True)
    want = numpy_stft(x, 32, 8, win, center, pad_mode, normalized)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_stft_short_window_is_centred_and_two_sided():
    x = RNG.standard_normal(64)
    win = scipy.signal.get_window("hamming", 10)
    padded = np.pad(win, (3, 3))                                  # (16 - 10) // 2 on the left
    got = ember.stft(ember.tensor(x), 16, 4, win_length=10, window=ember.tensor(win),
                     onesided=False, return_complex=True)
    np.testing.assert_allclose(got.numpy(), numpy_stft(x, 16, 4, padded, onesided=False),
                               atol=1e-12)
    assert ember.stft(ember.tensor(x), 16, return_complex=True).shape == (9, 17)


def test_istft_inverts_stft_and_matches_numpy_overlap_add():
    x = RNG.standard_normal((2, 200))
    win = ember.hann_window(64, dtype=ember.float64)
    spec = ember.stft(ember.tensor(x), 64, 16, window=win, return_complex=True)
    back = ember.istft(spec, 64, 16, window=win, length=200)
    np.testing.assert_allclose(back.numpy(), x, atol=1e-12)
    # a spectrogram that is not an STFT: compare with a NumPy least-squares overlap-add
    z = RNG.standard_normal((33, 9)) + 1j * RNG.standard_normal((33, 9))
    frames = np.fft.irfft(z, n=64, axis=0) * win.numpy()[:, None]
    sig, env = np.zeros(64 + 16 * 8), np.zeros(64 + 16 * 8)
    for t in range(9):
        sig[t * 16:t * 16 + 64] += frames[:, t]
        env[t * 16:t * 16 + 64] += win.numpy() ** 2
    want = (sig / np.where(env > 1e-11, env, 1))[32:-32]
    got = ember.istft(ember.tensor(z), 64, 16, window=win)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


def test_stft_and_istft_gradcheck():
    x = ember.tensor(RNG.standard_normal((1, 40)), requires_grad=True)
    win = ember.hann_window(16, dtype=ember.float64)
    assert gradcheck(lambda t: ember.stft(t, 16, 4, window=win, return_complex=True).abs(), (x,))
    # complex input through its real and imaginary parts (gradcheck works on real tensors)
    re, im = (ember.tensor(RNG.standard_normal((9, 11)), requires_grad=True) for _ in range(2))
    assert gradcheck(lambda a, b: ember.istft(ember.complex(a, b), 16, 4, window=win), (re, im))


def test_errors_name_the_problem():
    x = ember.randn(50)
    with pytest.raises(RuntimeError, match="return_complex"):
        ember.stft(x, 16)
    with pytest.raises(RuntimeError, match="win_length"):
        ember.stft(x, 16, window=ember.hann_window(8), return_complex=True)
    with pytest.raises(RuntimeError, match="reflect padding"):
        ember.stft(ember.randn(5), 16, return_complex=True)
    with pytest.raises(RuntimeError, match="3D"):
        ember.stft(ember.randn(1, 1, 50), 16, return_complex=True)
    with pytest.raises(RuntimeError, match="complex"):
        ember.istft(x.reshape(5, 10), 8)
    with pytest.raises(RuntimeError, match="overlap add"):
        ember.istft(ember.ones(9, 3, dtype=ember.complex64), 16, 16, window=ember.hann_window(16),
                    center=False)
