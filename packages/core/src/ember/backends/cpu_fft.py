"""CPU fast paths of ``ember.fft``'s ops: NumPy's pocketfft (the decompositions are dense DFTs)."""

from __future__ import annotations

import numpy as np


def _c2c(x, *, n, dim, norm, forward):
    fn = np.fft.fft if forward else np.fft.ifft
    return fn(x, n, axis=dim, norm=norm).astype(x.dtype, copy=False)


def _r2c(x, *, n, dim, norm):
    out = np.fft.rfft(x, n, axis=dim, norm=norm)
    return out.astype(np.result_type(x.dtype, np.complex64), copy=False)


def _c2r(x, *, n, dim, norm):
    out = np.fft.irfft(x, n, axis=dim, norm=norm)
    return out.astype(x.real.dtype, copy=False)


KERNELS = {"fft_c2c": _c2c, "fft_r2c": _r2c, "fft_c2r": _c2r}
