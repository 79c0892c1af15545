"""Spectrograms and what is built on them: (inverse) spectrogram, Griffin-Lim, mel / linear
filterbanks, the DCT matrix, decibels, deltas and the phase vocoder. All in ember ops, so
everything is differentiable and runs on every backend. Formulas follow
``torchaudio.functional`` 2.9 step by step (same float32 rounding where it matters)."""

from __future__ import annotations

import math
import warnings

import ember
import ember.nn.functional as F

__all__ = ["spectrogram", "inverse_spectrogram", "griffinlim", "melscale_fbanks",
           "linear_fbanks", "create_dct", "amplitude_to_DB", "DB_to_amplitude",
           "compute_deltas", "phase_vocoder"]


def _get_spec_norms(normalized):
    """``normalized``: True / "window" divides by the window's L2 norm; "frame_length"
    by sqrt(n_fft) (torch.stft's own ``normalized``)."""
    if isinstance(normalized, str):
        if normalized not in ("window", "frame_length"):
            raise ValueError("Invalid normalized parameter: normalized must be 'window' or "
                             f"'frame_length', got {normalized!r}")
        return normalized == "frame_length", normalized == "window"
    return False, bool(normalized)


def spectrogram(waveform, pad: int, window, n_fft: int, hop_length: int, win_length: int,
                power, normalized, center: bool = True, pad_mode: str = "reflect",
                onesided: bool = True, return_complex=None):
    """Spectrogram of ``(..., time)`` → ``(..., n_fft // 2 + 1, frames)``; complex when
    ``power`` is None, else ``|STFT| ** power``."""
    if pad > 0:
        waveform = F.pad(waveform, (pad, pad), "constant")
    frame_length_norm, window_norm = _get_spec_norms(normalized)
    shape = waveform.shape
    spec = ember.stft(waveform.reshape(-1, shape[-1]), n_fft=n_fft, hop_length=hop_length,
                      win_length=win_length, window=window, center=center, pad_mode=pad_mode,
                      normalized=frame_length_norm, onesided=onesided, return_complex=True)
    spec = spec.reshape(tuple(shape[:-1]) + tuple(spec.shape[-2:]))
    if window_norm:
        spec = spec / window.pow(2.0).sum().sqrt()
    if power is None:
        return spec
    return spec.abs() if power == 1.0 else spec.abs().pow(power)


def inverse_spectrogram(spectrogram, length, pad: int, window, n_fft: int, hop_length: int,
                        win_length: int, normalized, center: bool = True,
                        pad_mode: str = "reflect", onesided: bool = True):
    """Complex ``(..., freq, frames)`` → waveform ``(..., time)`` by least-squares ISTFT."""
    frame_length_norm, window_norm = _get_spec_norms(normalized)
    if not spectrogram.dtype.is_complex:
        raise ValueError("Expected `spectrogram` to be complex dtype.")
    if window_norm:
        spectrogram = spectrogram * window.pow(2.0).sum().sqrt()
    shape = spectrogram.shape
    spectrogram = spectrogram.reshape(-1, shape[-2], shape[-1])
    waveform = ember.istft(spectrogram, n_fft=n_fft, hop_length=hop_length,
                           win_length=win_length, window=window, center=center,
                           normalized=frame_length_norm, onesided=onesided,
                           length=length + 2 * pad if length is not None else None)
    if length is not None and pad > 0:
        waveform = waveform[:, pad:-pad]
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


def griffinlim(specgram, window, n_fft: int, hop_length: int, win_length: int, power: float,
               n_iter: int, momentum: float, length, rand_init: bool):
    """Recover a waveform from a magnitude spectrogram with the fast Griffin-Lim algorithm
    (Perraudin et al., 2013): alternate ISTFT/STFT, keeping the phase and adding momentum."""
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in range [0, 1). Found: {momentum}")
    shape = specgram.shape
    specgram = specgram.reshape((-1,) + tuple(shape[-2:])).pow(1 / power)
    complex_dtype = ember.complex128 if specgram.dtype == ember.float64 else ember.complex64
    if rand_init:
        angles = ember.complex(ember.rand(specgram.shape, dtype=specgram.dtype,
                                          device=specgram.device),
                               ember.rand(specgram.shape, dtype=specgram.dtype,
                                          device=specgram.device))
    else:
        angles = ember.ones(specgram.shape, dtype=complex_dtype, device=specgram.device)
    tprev = None
    stft_args = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window)
    for _ in range(n_iter):
        inverse = ember.istft(specgram * angles, length=length, **stft_args)
        rebuilt = ember.stft(inverse, center=True, pad_mode="reflect", normalized=False,
                             onesided=True, return_complex=True, **stft_args)
        angles = rebuilt
        if momentum and tprev is not None:
            angles = angles - tprev * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        tprev = rebuilt
    waveform = ember.istft(specgram * angles, length=length, **stft_args)
    return waveform.reshape(tuple(shape[:-2]) + tuple(waveform.shape[-1:]))


# ---- filterbanks ------------------------------------------------------------------------------

def _hz_to_mel(freq: float, mel_scale: str = "htk") -> float:
    if mel_scale not in ("slaney", "htk"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp = 200.0 / 3                    # Slaney: linear below 1 kHz, logarithmic above
    mels = freq / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    if freq >= min_log_hz:
        mels = min_log_mel + math.log(freq / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels, mel_scale: str = "htk"):
    if mel_scale not in ("slaney", "htk"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, math.log(6.4) / 27.0
    return ember.where(mels >= min_log_mel,
                       min_log_hz * ember.exp(logstep * (mels - min_log_mel)), f_sp * mels)


def _create_triangular_filterbank(all_freqs, f_pts):
    """Triangles rising from f_pts[i] to f_pts[i+1] and falling to f_pts[i+2], sampled at
    ``all_freqs`` → ``(n_freqs, n_filter)``."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down_slopes = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up_slopes = slopes[:, 2:] / f_diff[1:]
    return ember.clamp(ember.minimum(down_slopes, up_slopes), min=0.0)


def melscale_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int,
                    norm=None, mel_scale: str = "htk"):
    """Triangular mel filterbank ``(n_freqs, n_mels)``: ``spec.transpose(-1, -2) @ fb`` gives
    mel bands. ``norm="slaney"`` divides each triangle by its width (constant energy)."""
    if norm is not None and norm != "slaney":
        raise ValueError('norm must be one of None or "slaney"')
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)
    m_pts = ember.linspace(_hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale),
                           n_mels + 2)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _create_triangular_filterbank(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    if bool((fb.amax(dim=0) == 0.0).any()):
        warnings.warn("At least one mel filterbank has all zero values. The value for `n_mels` "
                      f"({n_mels}) may be set too high. Or, the value for `n_freqs` "
                      f"({n_freqs}) may be set too low.", stacklevel=2)
    return fb


def linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int, sample_rate: int):
    """Triangular filterbank ``(n_freqs, n_filter)`` with linearly spaced centres."""
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs)
    f_pts = ember.linspace(f_min, f_max, n_filter + 2)
    return _create_triangular_filterbank(all_freqs, f_pts)


def create_dct(n_mfcc: int, n_mels: int, norm=None):
    """DCT-II matrix ``(n_mels, n_mfcc)``: ``mel.transpose(-1, -2) @ dct`` gives cepstra;
    ``norm="ortho"`` makes it orthonormal, None scales by 2."""
    if norm is not None and norm != "ortho":
        raise ValueError('norm must be either "ortho" or None')
    n = ember.arange(float(n_mels))
    k = ember.arange(float(n_mfcc)).unsqueeze(1)
    dct = ember.cos(math.pi / float(n_mels) * (n + 0.5) * k)     # (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    else:
        row_scale = ember.ones(n_mfcc, 1)
        row_scale[0] = 1.0 / math.sqrt(2.0)
        dct = dct * row_scale * math.sqrt(2.0 / float(n_mels))
    return dct.t()


# ---- decibels and deltas ----------------------------------------------------------------------

def amplitude_to_DB(x, multiplier: float, amin: float, db_multiplier: float, top_db=None):
    """``multiplier * log10(max(x, amin)) - multiplier * db_multiplier``; with ``top_db`` values
    below (max over the last three dims) - top_db are raised to that floor."""
    x_db = multiplier * ember.log10(ember.clamp(x, min=amin))
    x_db = x_db - multiplier * db_multiplier
    if top_db is None:
        return x_db
    shape = x_db.shape
    channels = shape[-3] if x_db.ndim > 2 else 1
    x_db = x_db.reshape(-1, channels, shape[-2], shape[-1])
    floor = (x_db.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1)
    return ember.maximum(x_db, floor).reshape(shape)


def DB_to_amplitude(x, ref: float, power: float):
    """Inverse of ``amplitude_to_DB``: ``ref * (10 ** (0.1 * x)) ** power``."""
    return ref * ember.pow(ember.pow(10.0, 0.1 * x), power)


def compute_deltas(specgram, win_length: int = 5, mode: str = "replicate"):
    """Delta coefficients along time, ``sum_n n (c[t+n] - c[t-n]) / (2 sum_n n^2)``.

    Shape:
        ``(..., freq, time)`` → same shape.
    """
    if win_length < 3:
        raise ValueError(f"Window length should be greater than or equal to 3. Found win_length "
                         f"{win_length}")
    shape = specgram.shape
    specgram = specgram.reshape(1, -1, shape[-1])
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    specgram = F.pad(specgram, (n, n), mode=mode)
    kernel = ember.arange(-n, n + 1, 1, device=specgram.device, dtype=specgram.dtype)
    kernel = kernel.repeat(specgram.shape[1], 1, 1)
    return (F.conv1d(specgram, kernel, groups=specgram.shape[1]) / denom).reshape(shape)


def phase_vocoder(complex_specgrams, rate: float, phase_advance):
    """Speed a complex STFT up by ``rate`` without changing the pitch: magnitudes are linearly
    interpolated between frames, phases advanced by the measured instantaneous frequency.

    Shape:
        ``(..., freq, frames)`` → ``(..., freq, ceil(frames / rate))``; ``phase_advance``
        ``(freq, 1)``.
    """
    if rate == 1.0:
        return complex_specgrams
    shape = complex_specgrams.shape
    specs = complex_specgrams.reshape((-1,) + tuple(shape[-2:]))
    real_dtype = specs.real.dtype
    # positions i * rate computed in float64, then rounded (as torch.arange does): float32
    # accumulation can give 129.99998 for 130 and pick the wrong frame
    time_steps = ember.arange(0, specs.shape[-1], rate, device=specs.device,
                              dtype=ember.float64).to(real_dtype)
    alphas = time_steps % 1.0
    phase_0 = specs[..., :1].angle()
    specs = F.pad(specs, [0, 2])
    spec_0 = specs.index_select(-1, time_steps.long())
    spec_1 = specs.index_select(-1, (time_steps + 1).long())
    phase = spec_1.angle() - spec_0.angle() - phase_advance
    phase = phase - 2 * math.pi * ember.round(phase / (2 * math.pi))   # wrap to [-pi, pi]
    phase = phase + phase_advance
    phase = ember.cat([phase_0, phase[..., :-1]], dim=-1)
    # accumulate in float64 like torch's CPU cumsum: the running phase reaches ~1e5 rad, where
    # float32 accumulation would drift by whole radians
    phase_acc = ember.cumsum(phase.double(), -1).to(phase.dtype)
    mag = alphas * spec_1.abs() + (1 - alphas) * spec_0.abs()
    stretched = ember.polar(mag, phase_acc)
    return stretched.reshape(tuple(shape[:-2]) + tuple(stretched.shape[1:]))
