"""FFT fast paths on ``xp.fft`` (cuFFT on CuPy): the decompositions in ``ember.fft`` are dense
DFT matrix products. Arguments are those of the CPU backend's kernels
(``ember/backends/cpu_fft.py``); results keep ember's dtypes (complex64 for float32 input)."""

from __future__ import annotations

from .array_api import ArrayAPI


def kernels(api: ArrayAPI) -> dict:
    xp = api.xp

    def c2c(x, *, n, dim, norm, forward):
        fn = xp.fft.fft if forward else xp.fft.ifft
        return fn(x, n, axis=dim, norm=norm).astype(x.dtype, copy=False)

    def r2c(x, *, n, dim, norm):
        out = xp.fft.rfft(x, n, axis=dim, norm=norm)
        return out.astype(xp.result_type(x.dtype, xp.complex64), copy=False)

    def c2r(x, *, n, dim, norm):
        out = xp.fft.irfft(x, n, axis=dim, norm=norm)
        return out.astype(x.real.dtype, copy=False)

    return {"fft_c2c": c2c, "fft_r2c": r2c, "fft_c2r": c2r}
