"""Band-limited resampling by windowed-sinc interpolation (torchaudio's ``resample``).

For a ratio ``orig / new`` (reduced by their gcd), each of the ``new`` output phases has its own
FIR kernel: a sinc with cutoff ``rolloff * min(orig, new)`` (to stop aliasing), tapered by a
Hann or Kaiser window ``lowpass_filter_width`` zero crossings wide. One strided ``conv1d`` with
the ``new`` kernels as output channels computes every phase at once.
"""

from __future__ import annotations

import math

import ember
import ember.nn.functional as F

__all__ = ["resample"]

_KAISER_BETA = 14.769656459379492        # torchaudio's default beta for sinc_interp_kaiser


def _get_sinc_resample_kernel(orig_freq: int, new_freq: int, gcd: int,
                              lowpass_filter_width: int = 6, rolloff: float = 0.99,
                              resampling_method: str = "sinc_interp_hann", beta=None,
                              device=None, dtype=None):
    """The ``(new, 1, 2 * width + orig)`` kernels and the padding ``width``; computed in
    ``dtype`` (float64, then cast to float32, when None)."""
    if not (int(orig_freq) == orig_freq and int(new_freq) == new_freq):
        raise Exception("Frequencies must be of integer type to ensure quality resampling "
                        "computation. To work around this, manually convert both frequencies "
                        "to integer values that maintain their resampling rate ratio before "
                        "passing them into the function. Example: To downsample a 44100 hz "
                        "waveform by a factor of 8, use `orig_freq=8` and `new_freq=1` "
                        "instead of `orig_freq=44100` and `new_freq=5512.5`.")
    if resampling_method not in ("sinc_interp_hann", "sinc_interp_kaiser"):
        raise ValueError(f"Invalid resampling method: {resampling_method}")
    if lowpass_filter_width <= 0:
        raise ValueError("Low pass filter width should be positive.")
    orig_freq, new_freq = int(orig_freq) // gcd, int(new_freq) // gcd
    base_freq = min(orig_freq, new_freq) * rolloff
    width = math.ceil(lowpass_filter_width * orig_freq / base_freq)
    work_dtype = dtype if dtype is not None else ember.float64
    idx = ember.arange(-width, width + orig_freq, dtype=work_dtype, device=device)[None, None]
    idx = idx / orig_freq
    t = ember.arange(0, -new_freq, -1, dtype=work_dtype, device=device)[:, None, None]
    t = (t / new_freq + idx) * base_freq
    t = t.clamp(-lowpass_filter_width, lowpass_filter_width)
    if resampling_method == "sinc_interp_hann":
        window = ember.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    else:
        beta = _KAISER_BETA if beta is None else float(beta)
        beta_t = ember.tensor(beta, dtype=work_dtype, device=device)
        window = ember.special.i0(beta_t * ember.sqrt(1 - (t / lowpass_filter_width) ** 2)) / \
            ember.special.i0(beta_t)
    t = t * math.pi
    kernels = ember.where(t == 0, ember.ones_like(t), ember.sin(t) / t)
    kernels = kernels * window * (base_freq / orig_freq)
    if dtype is None:
        kernels = kernels.to(ember.float32)
    return kernels, width


def _apply_sinc_resample_kernel(waveform, orig_freq: int, new_freq: int, gcd: int, kernel,
                                width: int):
    if not waveform.dtype.is_floating_point:
        raise TypeError(f"Expected floating point type for waveform tensor, but received "
                        f"{waveform.dtype}.")
    orig_freq, new_freq = int(orig_freq) // gcd, int(new_freq) // gcd
    shape = waveform.shape
    waveform = waveform.reshape(-1, shape[-1])
    num_wavs, length = waveform.shape
    waveform = F.pad(waveform, (width, width + orig_freq))
    resampled = F.conv1d(waveform[:, None], kernel.to(waveform.dtype), stride=orig_freq)
    resampled = resampled.transpose(1, 2).reshape(num_wavs, -1)
    target_length = math.ceil(new_freq * length / orig_freq)
    resampled = resampled[..., :target_length]
    return resampled.reshape(tuple(shape[:-1]) + tuple(resampled.shape[-1:]))


def resample(waveform, orig_freq: int, new_freq: int, lowpass_filter_width: int = 6,
             rolloff: float = 0.99, resampling_method: str = "sinc_interp_hann", beta=None):
    """Resample ``(..., time)`` from ``orig_freq`` to ``new_freq`` Hz.

    Args:
        lowpass_filter_width: zero crossings of the sinc on each side (sharper, slower filter
            when larger).
        rolloff: cutoff as a fraction of the lower Nyquist frequency.
        resampling_method: ``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"`` (``beta``).

    Shape:
        ``(..., time)`` → ``(..., ceil(time * new_freq / orig_freq))``.
    """
    if orig_freq <= 0.0 or new_freq <= 0.0:
        raise ValueError("Original frequency and desired frequecy should be positive")
    if orig_freq == new_freq:
        return waveform
    gcd = math.gcd(int(orig_freq), int(new_freq))
    kernel, width = _get_sinc_resample_kernel(orig_freq, new_freq, gcd, lowpass_filter_width,
                                              rolloff, resampling_method, beta,
                                              waveform.device, waveform.dtype)
    return _apply_sinc_resample_kernel(waveform, orig_freq, new_freq, gcd, kernel, width)
