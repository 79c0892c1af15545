"""OpInfos of ``ember.fft``.

Complex inputs are built inside the call from two real arrays (``ember.complex(re, im)``) and
complex results are returned as ``(real, imag)``, so that every compared value and every gradient
is real (gradcheck works on real tensors). Sizes are small (gradcheck is O(n²) calls) and cover
odd and even lengths, padding and trimming (``n``/``s``) and each ``norm``.
"""

from __future__ import annotations

import ember

from ..opinfo import OpInfo, Sample, arr

NORMS = (None, "ortho", "forward")


def _parts(y):
    return (y.real, y.imag) if y.dtype.is_complex else y


def _fft(name):
    return lambda x, *args, **kwargs: _parts(getattr(ember.fft, name)(x, *args, **kwargs))


def _fft_complex(name):
    def call(re, im, *args, **kwargs):
        return _parts(getattr(ember.fft, name)(ember.complex(re, im), *args, **kwargs))

    return call


def _one_d(complex_input: bool, sizes=(None, 3, 7)):
    """Samples along the last dim and dim 0, with each ``n`` and ``norm``."""
    def samples(rng, dtype):
        out = []
        for i, (n, norm) in enumerate(zip(sizes, NORMS)):
            shape, dim = ((2, 5), -1) if i % 2 == 0 else ((4, 3), 0)
            args = (arr(rng, shape, dtype),) + ((arr(rng, shape, dtype),) if complex_input
                                                else ())
            out.append(Sample(args, {"n": n, "dim": dim, "norm": norm}))
        return out

    return samples


def _n_d(complex_input: bool):
    def samples(rng, dtype):
        def args(shape):
            return (arr(rng, shape, dtype),) + ((arr(rng, shape, dtype),) if complex_input
                                                else ())

        return [Sample(args((2, 3, 4))),
                Sample(args((3, 4)), {"s": (4, 6), "norm": "ortho"}),
                Sample(args((2, 3, 4)), {"s": (2, 5), "dim": (0, 2), "norm": "forward"})]

    return samples


def _shift_samples(rng, dtype):
    return [Sample((arr(rng, (3, 4), dtype),)), Sample((arr(rng, (5, 2, 3), dtype),), {"dim": 0}),
            Sample((arr(rng, (5, 2, 3), dtype),), {"dim": (0, 2)})]


OPS = [
    OpInfo("fft.fft", _fft_complex("fft"), _one_d(True), gradgrad=True),
    OpInfo("fft.fft_real_input", _fft("fft"), _one_d(False)),
    OpInfo("fft.ifft", _fft_complex("ifft"), _one_d(True), gradgrad=True),
    OpInfo("fft.rfft", _fft("rfft"), _one_d(False), gradgrad=True),
    OpInfo("fft.irfft", _fft_complex("irfft"), _one_d(True, (None, 4, 7)), gradgrad=True),
    OpInfo("fft.hfft", _fft_complex("hfft"), _one_d(True, (None, 4, 7))),
    OpInfo("fft.ihfft", _fft("ihfft"), _one_d(False)),
    OpInfo("fft.fftn", _fft_complex("fftn"), _n_d(True)),
    OpInfo("fft.ifftn", _fft_complex("ifftn"), _n_d(True)),
    OpInfo("fft.rfftn", _fft("rfftn"), _n_d(False)),
    OpInfo("fft.irfftn", _fft_complex("irfftn"), _n_d(True)),
    OpInfo("fft.fft2", _fft("fft2"), _n_d(False)),
    OpInfo("fft.ifft2", _fft_complex("ifft2"), _n_d(True)),
    OpInfo("fft.rfft2", _fft("rfft2"), _n_d(False)),
    OpInfo("fft.irfft2", _fft_complex("irfft2"), _n_d(True)),
    OpInfo("fft.fftshift", lambda x, **kw: ember.fft.fftshift(x, **kw), _shift_samples,
           gradgrad=True),
    OpInfo("fft.ifftshift", lambda x, **kw: ember.fft.ifftshift(x, **kw), _shift_samples),
]
