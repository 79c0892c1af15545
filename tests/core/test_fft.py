"""ember.fft against numpy.fft (float64), its decompositions against the CPU fast paths, gradients,
argument handling and errors."""

import math

import numpy as np
import pytest

import ember
import ember.fft as F
from ember.autograd import gradcheck

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 6)) + 1j * RNG.standard_normal((3, 6))
XR = RNG.standard_normal((3, 6))
X3 = RNG.standard_normal((3, 4, 5))
NORMS = [None, "backward", "ortho", "forward"]


def t(a, **kw):
    return ember.tensor(a, **kw)


def close(actual, expected, tol=1e-12):
    actual = actual.detach().numpy()
    assert actual.shape == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


# ---- values against numpy.fft -----------------------------------------------------------------

@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 4, 9])
@pytest.mark.parametrize("dim", [0, -1])
def test_one_d_transforms_match_numpy(norm, n, dim):
    close(F.fft(t(X), n, dim, norm), np.fft.fft(X, n, dim, norm))
    close(F.ifft(t(X), n, dim, norm), np.fft.ifft(X, n, dim, norm))
    close(F.rfft(t(XR), n, dim, norm), np.fft.rfft(XR, n, dim, norm))
    close(F.irfft(t(X), n, dim, norm), np.fft.irfft(X, n, dim, norm))
    close(F.hfft(t(X), n, dim, norm), np.fft.hfft(X, n, dim, norm))
    close(F.ihfft(t(XR), n, dim, norm), np.fft.ihfft(XR, n, dim, norm))


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_n_d_transforms_match_numpy(norm):
    c3 = X3 + 0.5j * X3[::-1]
    close(F.fftn(t(c3), norm=norm), np.fft.fftn(c3, norm=norm))
    close(F.ifftn(t(c3), s=(3, 7), norm=norm), np.fft.ifftn(c3, s=(3, 7), axes=(1, 2), norm=norm))
    close(F.fftn(t(X3), s=(2, 6), dim=(0, 2), norm=norm),
          np.fft.fftn(X3, s=(2, 6), axes=(0, 2), norm=norm))
    close(F.rfftn(t(X3), norm=norm), np.fft.rfftn(X3, norm=norm))
    close(F.irfftn(t(c3), s=(2, 6), dim=(0, 2), norm=norm),
          np.fft.irfftn(c3, s=(2, 6), axes=(0, 2), norm=norm))
    close(F.fft2(t(X3), norm=norm), np.fft.fft2(X3, norm=norm))
    close(F.ifft2(t(c3), s=(2, 2), norm=norm), np.fft.ifft2(c3, s=(2, 2), norm=norm))
    close(F.rfft2(t(X3), norm=norm), np.fft.rfft2(X3, norm=norm))
    close(F.irfft2(t(c3), norm=norm), np.fft.irfft2(c3, norm=norm))


def test_round_trips_and_known_values():
    close(F.irfft(F.rfft(t(XR)), n=6), XR)
    close(F.ifft(F.fft(t(X))), X)
    close(F.irfftn(F.rfftn(t(X3)), s=X3.shape), X3)
    # the DFT of a unit impulse is all ones; of a constant, n at 0
    close(F.fft(t([1.0, 0, 0, 0], dtype=ember.float64)), np.ones(4, complex))
    close(F.rfft(t([2.0] * 5, dtype=ember.float64)), np.array([10, 0, 0], complex))


def test_irfft_ignores_imaginary_dc_and_nyquist():
    spec = np.array([1 + 5j, 2 - 1j, 3 + 7j])
    close(F.irfft(t(spec), 4), np.fft.irfft(spec.real + [0, 1j * spec.imag[1], 0], 4))


def test_dtypes():
    assert F.fft(t(XR, dtype=ember.float32)).dtype == ember.complex64
    assert F.fft(t(XR)).dtype == ember.complex128
    assert F.rfft(t([1, 2, 3])).dtype == ember.complex64  # ints compute in the default float
    assert F.irfft(t(X, dtype=ember.complex64)).dtype == ember.float32
    assert F.irfft(t(X)).dtype == ember.float64
    assert F.hfft(t(X)).dtype == ember.float64
    close(F.fft(t(XR, dtype=ember.float32)), np.fft.fft(XR.astype(np.float32)), tol=1e-5)


# ---- the decompositions (what a backend without fft kernels runs) ------------------------------

@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
@pytest.mark.parametrize("m,n", [(6, 6), (6, 4), (6, 9), (5, 5)])
def test_decompositions_match_fast_paths(norm, m, n):
    x, xr = t(X[:, :m]), t(XR[:, :m])
    for forward in (True, False):
        close(F.fft_c2c.decomposition(x, n=n, dim=1, norm=norm, forward=forward),
              F.fft_c2c(x, n=n, dim=1, norm=norm, forward=forward).numpy())
    close(F.fft_r2c.decomposition(xr, n=n, dim=1, norm=norm),
          F.fft_r2c(xr, n=n, dim=1, norm=norm).numpy())
    close(F.fft_c2r.decomposition(x, n=n, dim=1, norm=norm),
          F.fft_c2r(x, n=n, dim=1, norm=norm).numpy())
    close(F.fft_c2c.decomposition(x.t(), n=n, dim=0, norm=norm, forward=True),
          np.fft.fft(X[:, :m].T, n, 0, norm))


def test_decomposition_of_large_length_is_exact():
    x = RNG.standard_normal(1000)
    close(F.fft_r2c.decomposition(t(x), n=1000, dim=0, norm="backward"), np.fft.rfft(x), 1e-9)


# ---- gradients --------------------------------------------------------------------------------

def _parts(y):
    return (y.real, y.imag) if y.dtype.is_complex else y


def _pair(shape):
    return (t(RNG.standard_normal(shape), requires_grad=True),
            t(RNG.standard_normal(shape), requires_grad=True))


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
@pytest.mark.parametrize("n", [None, 3, 8])
def test_gradients(norm, n):
    a, b = _pair((2, 5))
    cases = [
        lambda a, b: _parts(F.fft(ember.complex(a, b), n, 1, norm)),
        lambda a, b: _parts(F.ifft(ember.complex(a, b), n, 0, norm)),
        lambda a, b: _parts(F.rfft(a, n, 1, norm)),
        lambda a, b: _parts(F.irfft(ember.complex(a, b), n, 1, norm)),
        lambda a, b: _parts(F.hfft(ember.complex(a, b), n, 1, norm)),
        lambda a, b: _parts(F.ihfft(a, n, 1, norm)),
        lambda a, b: _parts(F.fft_c2r.decomposition(ember.complex(a, b), n=n or 8, dim=1,
                                                    norm=norm or "backward")),
    ]
    for fn in cases:
        assert gradcheck(fn, (a, b))


def test_gradient_of_power_spectrum_matches_formula():
    # d/dx sum |fft(x)|² = 2 n x for real x (Parseval)
    x = t(XR[0], requires_grad=True)
    F.fft(x).abs().square().sum().backward()
    close(x.grad, 2 * 6 * XR[0], 1e-10)


# ---- helpers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,d", [(1, 1.0), (7, 0.5), (8, 2.0)])
def test_frequencies(n, d):
    close(F.fftfreq(n, d, dtype=ember.float64), np.fft.fftfreq(n, d))
    close(F.rfftfreq(n, d, dtype=ember.float64), np.fft.rfftfreq(n, d))
    assert F.fftfreq(n).dtype == ember.get_default_dtype()


def test_shifts():
    close(F.fftshift(t(X3)), np.fft.fftshift(X3))
    close(F.ifftshift(t(X3)), np.fft.ifftshift(X3))
    close(F.fftshift(t(X3), dim=(0, 2)), np.fft.fftshift(X3, axes=(0, 2)))
    close(F.ifftshift(t(X3), dim=-1), np.fft.ifftshift(X3, axes=-1))
    freqs = F.fftfreq(5, dtype=ember.float64)
    assert F.fftshift(freqs).numpy().tolist() == sorted(freqs.numpy().tolist())


def test_out_argument():
    out = ember.zeros(6, dtype=ember.complex128)
    F.fft(t(XR[0]), out=out)
    close(out, np.fft.fft(XR[0]))


# ---- errors -----------------------------------------------------------------------------------

def test_errors():
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        F.fft(t(X), norm="bad")
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        F.fft(t(X), n=0)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        F.irfft(t(X[:, :1]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.fft(t(X), dim=2)
    with pytest.raises(RuntimeError, match="rfft expects a real input tensor, but got "
                                           "ComplexDouble"):
        F.rfft(t(X))
    with pytest.raises(RuntimeError, match="FFT dims must be unique"):
        F.fftn(t(X3), dim=(0, -3))
    with pytest.raises(RuntimeError, match="dim and shape arguments must have the same length"):
        F.fftn(t(X3), s=(2, 2), dim=(0,))
    with pytest.raises(RuntimeError, match="Got shape with 4 values"):
        F.fftn(t(X3), s=(2, 2, 2, 2))


def test_lazy_module():
    assert ember.fft is F
    assert math.isclose(float(F.fft(t([1.0, 2.0])).real[1]), -1.0)
