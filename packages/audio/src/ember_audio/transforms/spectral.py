"""Spectral transforms as ``nn.Module``s (torchaudio.transforms' names, defaults and buffer
names, so state dicts carry over): Spectrogram, InverseSpectrogram, GriffinLim, AmplitudeToDB,
MelScale, InverseMelScale, MelSpectrogram, MFCC, LFCC, ComputeDeltas."""

from __future__ import annotations

import math

import ember
from ember import nn

from .. import functional as F

__all__ = ["Spectrogram", "InverseSpectrogram", "GriffinLim", "AmplitudeToDB", "MelScale",
           "InverseMelScale", "MelSpectrogram", "MFCC", "LFCC", "ComputeDeltas"]


def _make_window(window_fn, win_length: int, wkwargs):
    return window_fn(win_length) if wkwargs is None else window_fn(win_length, **wkwargs)


class Spectrogram(nn.Module):
    r"""Spectrogram of a waveform.

    Args:
        n_fft: FFT size (``n_fft // 2 + 1`` frequency bins). Default 400.
        win_length: window size (default ``n_fft``).
        hop_length: hop between frames (default ``win_length // 2``).
        pad: zero padding on both sides of the signal.
        window_fn: window constructor (default ``ember.hann_window``).
        power: exponent of the magnitude (2: power, 1: magnitude, None: complex).
        normalized: divide by the window's L2 norm (True / "window") or by sqrt(n_fft)
            ("frame_length").
        wkwargs: keyword arguments of ``window_fn``.
        center: pad ``n_fft // 2`` on both sides so frame ``t`` is centred at
            ``t * hop_length``.
        pad_mode: padding mode when ``center``.

    Shape:
        ``(..., time)`` → ``(..., n_fft // 2 + 1, frames)``.

    Examples:
        >>> spec = Spectrogram(n_fft=400, hop_length=160)(waveform)   # (1, 201, 401)
    """

    def __init__(self, n_fft: int = 400, win_length=None, hop_length=None, pad: int = 0,
                 window_fn=ember.hann_window, power=2.0, normalized=False, wkwargs=None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True,
                 return_complex=None):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad, self.power, self.normalized = pad, power, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def forward(self, waveform):
        return F.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length,
                             self.win_length, self.power, self.normalized, self.center,
                             self.pad_mode, self.onesided)


class InverseSpectrogram(nn.Module):
    r"""Waveform from a complex spectrogram (inverse of ``Spectrogram(power=None)``).

    Args: as ``Spectrogram`` (no ``power``).

    Shape:
        ``(..., freq, frames)`` complex → ``(..., time)``; ``forward(spectrogram, length=None)``.

    Examples:
        >>> wave = InverseSpectrogram(n_fft=400, hop_length=160)(spec, length=64000)
    """

    def __init__(self, n_fft: int = 400, win_length=None, hop_length=None, pad: int = 0,
                 window_fn=ember.hann_window, normalized=False, wkwargs=None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True):
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.pad, self.normalized = pad, normalized
        self.center, self.pad_mode, self.onesided = center, pad_mode, onesided

    def forward(self, spectrogram, length=None):
        return F.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft,
                                     self.hop_length, self.win_length, self.normalized,
                                     self.center, self.pad_mode, self.onesided)


class GriffinLim(nn.Module):
    r"""Waveform from a magnitude/power spectrogram by fast Griffin-Lim.

    Args:
        n_fft, win_length, hop_length, window_fn, wkwargs: as ``Spectrogram``.
        n_iter: iterations (default 32).
        power: the exponent the spectrogram was made with (default 2).
        momentum: fast Griffin-Lim momentum in [0, 1) (default 0.99).
        length: output length.
        rand_init: random initial phases (default True), else zero phase.

    Shape:
        ``(..., n_fft // 2 + 1, frames)`` → ``(..., time)``.
    """

    def __init__(self, n_fft: int = 400, n_iter: int = 32, win_length=None, hop_length=None,
                 window_fn=ember.hann_window, power: float = 2.0, wkwargs=None,
                 momentum: float = 0.99, length=None, rand_init: bool = True):
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
        self.n_fft, self.n_iter = n_fft, n_iter
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", _make_window(window_fn, self.win_length, wkwargs))
        self.length, self.power, self.momentum, self.rand_init = length, power, momentum, rand_init

    def forward(self, specgram):
        return F.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length,
                            self.power, self.n_iter, self.momentum, self.length, self.rand_init)


class AmplitudeToDB(nn.Module):
    r"""Power or amplitude spectrogram to decibels.

    Args:
        stype: ``"power"`` (10 log10) or ``"magnitude"`` (20 log10).
        top_db: floor at (max - top_db) dB, max over the last three dims (None: no floor).

    Examples:
        >>> db = AmplitudeToDB(stype="power", top_db=80.0)(spec)
    """

    def __init__(self, stype: str = "power", top_db=None):
        super().__init__()
        if stype not in ("power", "magnitude"):
            raise ValueError(f"stype must be 'power' or 'magnitude', got {stype!r}")
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.stype, self.top_db = stype, top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x):
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MelScale(nn.Module):
    r"""Linear-frequency spectrogram to mel bands: ``fb.T @ spec`` with a triangular filterbank.

    Args:
        n_mels: mel bands (default 128).
        sample_rate: of the audio (default 16000).
        f_min, f_max: frequency range (f_max default ``sample_rate // 2``).
        n_stft: frequency bins of the input (``n_fft // 2 + 1``, default 201).
        norm: None or ``"slaney"`` (area normalization).
        mel_scale: ``"htk"`` or ``"slaney"``.

    Shape:
        ``(..., n_stft, time)`` → ``(..., n_mels, time)``.
    """

    def __init__(self, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0,
                 f_max=None, n_stft: int = 201, norm=None, mel_scale: str = "htk"):
        super().__init__()
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min, self.norm, self.mel_scale = f_min, norm, mel_scale
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        self.register_buffer("fb", F.melscale_fbanks(n_stft, self.f_min, self.f_max,
                                                     self.n_mels, self.sample_rate, self.norm,
                                                     self.mel_scale))

    def forward(self, specgram):
        if specgram.shape[-2] != self.fb.shape[0]:
            raise ValueError(f"MelScale expects {self.fb.shape[0]} frequency bins (n_stft) on "
                             f"dim -2, got input of shape {list(specgram.shape)}")
        return ember.matmul(specgram.transpose(-1, -2), self.fb).transpose(-1, -2)


class InverseMelScale(nn.Module):
    r"""Linear-frequency spectrogram from mel bands by non-negative least squares
    (``relu(lstsq(fb.T, mel))``).

    Args: as ``MelScale`` (``n_stft`` first); ``driver`` is accepted for compatibility.

    Shape:
        ``(..., n_mels, time)`` → ``(..., n_stft, time)``.
    """

    def __init__(self, n_stft: int, n_mels: int = 128, sample_rate: int = 16000,
                 f_min: float = 0.0, f_max=None, norm=None, mel_scale: str = "htk",
                 driver: str = "gels"):
        super().__init__()
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_max = f_max or float(sample_rate // 2)
        self.f_min, self.driver = f_min, driver
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        self.register_buffer("fb", F.melscale_fbanks(n_stft, self.f_min, self.f_max,
                                                     self.n_mels, self.sample_rate, norm,
                                                     mel_scale))

    def forward(self, melspec):
        shape = melspec.shape
        melspec = melspec.reshape(-1, shape[-2], shape[-1])
        if shape[-2] != self.n_mels:
            raise ValueError(f"Expected an input with {self.n_mels} mel bins. Found: "
                             f"{shape[-2]}")
        fb_t = self.fb.transpose(-1, -2).to(melspec.dtype)
        solution = ember.linalg.lstsq(fb_t.expand(melspec.shape[0], *fb_t.shape),
                                      melspec).solution
        specgram = ember.relu(solution)
        return specgram.reshape(tuple(shape[:-2]) + (self.fb.shape[0], shape[-1]))


class MelSpectrogram(nn.Module):
    r"""Mel spectrogram: ``MelScale(Spectrogram(waveform))``.

    Args:
        sample_rate (default 16000), n_fft (400), win_length, hop_length, f_min, f_max,
        pad, n_mels (128), window_fn, power (2), normalized, wkwargs, center, pad_mode,
        norm, mel_scale: as ``Spectrogram`` and ``MelScale``.

    Shape:
        ``(..., time)`` → ``(..., n_mels, frames)``.

    Examples:
        >>> mel = MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=80)(waveform)
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 400, win_length=None,
                 hop_length=None, f_min: float = 0.0, f_max=None, pad: int = 0,
                 n_mels: int = 128, window_fn=ember.hann_window, power: float = 2.0,
                 normalized: bool = False, wkwargs=None, center: bool = True,
                 pad_mode: str = "reflect", onesided=None, norm=None, mel_scale: str = "htk"):
        super().__init__()
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.pad, self.power, self.normalized = pad, power, normalized
        self.f_max, self.f_min = f_max, f_min
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=self.win_length,
                                       hop_length=self.hop_length, pad=pad,
                                       window_fn=window_fn, power=power,
                                       normalized=normalized, wkwargs=wkwargs, center=center,
                                       pad_mode=pad_mode, onesided=True)
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm,
                                  mel_scale)

    def forward(self, waveform):
        return self.mel_scale(self.spectrogram(waveform))


def _check_dct_type(dct_type: int) -> None:
    if dct_type != 2:
        raise ValueError(f"DCT type not supported: {dct_type}")


class MFCC(nn.Module):
    r"""Mel-frequency cepstral coefficients: DCT of the log (dB) mel spectrogram.

    Args:
        sample_rate: default 16000.
        n_mfcc: coefficients to keep (default 40).
        dct_type: only 2.
        norm: DCT norm (default ``"ortho"``).
        log_mels: ``log(mel + 1e-6)`` instead of decibels (``AmplitudeToDB("power", 80)``).
        melkwargs: arguments of the inner ``MelSpectrogram``.

    Shape:
        ``(..., time)`` → ``(..., n_mfcc, frames)``.

    Examples:
        >>> mfcc = MFCC(16000, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 160,
        ...                                          "n_mels": 80})(waveform)
    """

    def __init__(self, sample_rate: int = 16000, n_mfcc: int = 40, dct_type: int = 2,
                 norm: str = "ortho", log_mels: bool = False, melkwargs=None):
        super().__init__()
        _check_dct_type(dct_type)
        self.sample_rate, self.n_mfcc, self.dct_type, self.norm = \
            sample_rate, n_mfcc, dct_type, norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError("Cannot select more MFCC coefficients than # mel bins")
        self.register_buffer("dct_mat", F.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))
        self.log_mels = log_mels

    def forward(self, waveform):
        mel = self.MelSpectrogram(waveform)
        mel = ember.log(mel + 1e-6) if self.log_mels else self.amplitude_to_DB(mel)
        return ember.matmul(mel.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class LFCC(nn.Module):
    r"""Linear-frequency cepstral coefficients: DCT of the log (dB) linear-filterbank
    spectrogram.

    Args:
        sample_rate (16000), n_filter (128), f_min (0), f_max (``sample_rate // 2``),
        n_lfcc (40), dct_type (2), norm ("ortho"), log_lf (False: dB with top_db 80),
        speckwargs: arguments of the inner ``Spectrogram``.

    Shape:
        ``(..., time)`` → ``(..., n_lfcc, frames)``.
    """

    def __init__(self, sample_rate: int = 16000, n_filter: int = 128, f_min: float = 0.0,
                 f_max=None, n_lfcc: int = 40, dct_type: int = 2, norm: str = "ortho",
                 log_lf: bool = False, speckwargs=None):
        super().__init__()
        _check_dct_type(dct_type)
        self.sample_rate, self.f_min = sample_rate, f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter, self.n_lfcc, self.dct_type, self.norm = n_filter, n_lfcc, dct_type, norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        if n_lfcc > self.Spectrogram.n_fft:
            raise ValueError("Cannot select more LFCC coefficients than # fft bins")
        self.register_buffer("filter_mat", F.linear_fbanks(
            n_freqs=self.Spectrogram.n_fft // 2 + 1, f_min=self.f_min, f_max=self.f_max,
            n_filter=n_filter, sample_rate=sample_rate))
        self.register_buffer("dct_mat", F.create_dct(n_lfcc, n_filter, norm))
        self.log_lf = log_lf

    def forward(self, waveform):
        spec = self.Spectrogram(waveform)
        spec = ember.matmul(spec.transpose(-1, -2), self.filter_mat).transpose(-1, -2)
        spec = ember.log(spec + 1e-6) if self.log_lf else self.amplitude_to_DB(spec)
        return ember.matmul(spec.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class ComputeDeltas(nn.Module):
    r"""Delta coefficients of a spectrogram / MFCC along time (see
    ``functional.compute_deltas``).

    Args:
        win_length: window (default 5).
        mode: padding mode at the ends (default ``"replicate"``).
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate"):
        super().__init__()
        self.win_length, self.mode = win_length, mode

    def forward(self, specgram):
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)
