"""Waveform and spectrogram augmentations: Vol, Fade, FrequencyMasking, TimeMasking,
SpecAugment, TimeStretch, Resample, PitchShift (torchaudio.transforms' names and defaults)."""

from __future__ import annotations

import math

import ember
from ember import nn

from .. import functional as F
from ..functional.resampling import _apply_sinc_resample_kernel, _get_sinc_resample_kernel

__all__ = ["Vol", "Fade", "FrequencyMasking", "TimeMasking", "SpecAugment", "TimeStretch",
           "Resample", "PitchShift", "MuLawEncoding", "MuLawDecoding"]


class Vol(nn.Module):
    r"""Change the volume, then clamp to [-1, 1].

    Args:
        gain: the factor (``"amplitude"``), power ratio (``"power"``) or decibels (``"db"``).
        gain_type: one of ``"amplitude"``, ``"power"``, ``"db"``.
    """

    def __init__(self, gain: float, gain_type: str = "amplitude"):
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"gain_type must be 'amplitude', 'power' or 'db', got "
                             f"{gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")
        self.gain, self.gain_type = gain, gain_type

    def forward(self, waveform):
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


class MuLawEncoding(nn.Module):
    r"""Mu-law companding of a waveform in [-1, 1] to integers in ``[0, quantization_channels)``.

    Args:
        quantization_channels: number of levels (default 256).
    """

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x):
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    r"""Inverse of ``MuLawEncoding``: integers → waveform in [-1, 1].

    Args:
        quantization_channels: number of levels (default 256).
    """

    def __init__(self, quantization_channels: int = 256):
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu):
        return F.mu_law_decoding(x_mu, self.quantization_channels)


_FADE_SHAPES = ("linear", "exponential", "logarithmic", "quarter_sine", "half_sine")


class Fade(nn.Module):
    r"""Fade the waveform in and out.

    Args:
        fade_in_len: samples of the fade-in (default 0).
        fade_out_len: samples of the fade-out (default 0).
        fade_shape: ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"`` or
            ``"half_sine"``.

    Shape:
        ``(..., time)`` → same.
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0,
                 fade_shape: str = "linear"):
        super().__init__()
        if fade_shape not in _FADE_SHAPES:
            raise ValueError(f"fade_shape must be one of {_FADE_SHAPES}, got {fade_shape!r}")
        self.fade_in_len, self.fade_out_len, self.fade_shape = \
            fade_in_len, fade_out_len, fade_shape

    def forward(self, waveform):
        length = waveform.shape[-1]
        if self.fade_in_len > length or self.fade_out_len > length:
            raise ValueError(f"fade lengths ({self.fade_in_len}, {self.fade_out_len}) exceed "
                             f"the waveform length {length}")
        device = waveform.device
        return self._fade_in(length, device) * self._fade_out(length, device) * waveform

    def _fade_in(self, length: int, device):
        fade = ember.linspace(0, 1, self.fade_in_len, device=device)
        ones = ember.ones(length - self.fade_in_len, device=device)
        shape = self.fade_shape
        if shape == "exponential":
            fade = ember.pow(2, (fade - 1) * 5)
        elif shape == "logarithmic":
            fade = ember.log10(0.1 + fade) + 1
        elif shape == "quarter_sine":
            fade = ember.sin(fade * math.pi / 2)
        elif shape == "half_sine":
            fade = ember.sin(fade * math.pi - math.pi / 2) / 2 + 0.5
        return ember.cat((fade, ones)).clamp(0, 1)

    def _fade_out(self, length: int, device):
        fade = ember.linspace(0, 1, self.fade_out_len, device=device)
        ones = ember.ones(length - self.fade_out_len, device=device)
        shape = self.fade_shape
        if shape == "linear":
            fade = -fade + 1
        elif shape == "exponential":
            fade = ember.pow(2, -fade * 5)
        elif shape == "logarithmic":
            fade = ember.log10(1.1 - fade) + 1
        elif shape == "quarter_sine":
            fade = ember.sin(fade * math.pi / 2 + math.pi / 2)
        elif shape == "half_sine":
            fade = ember.sin(fade * math.pi + math.pi / 2) / 2 + 0.5
        return ember.cat((ones, fade)).clamp(0, 1)


class _AxisMasking(nn.Module):
    """Mask one random band along ``axis`` (1: frequency, 2: time, of a (channel, freq, time)
    input; shifted for inputs with more leading dims)."""

    def __init__(self, mask_param: int, axis: int, iid_masks: bool, p: float = 1.0):
        super().__init__()
        self.mask_param, self.axis, self.iid_masks, self.p = mask_param, axis, iid_masks, p

    def forward(self, specgram, mask_value: float = 0.0):
        axis = self.axis + specgram.ndim - 3
        if self.iid_masks:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    r"""Mask ``[f0, f0 + f)`` frequency rows, ``f ~ U[0, freq_mask_param)`` (SpecAugment).

    Args:
        freq_mask_param: maximum band width.
        iid_masks: an independent band per example and channel (4-D input).

    Shape:
        ``(..., freq, time)`` → same; ``forward(specgram, mask_value=0.0)``.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False):
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    r"""Mask ``[t0, t0 + t)`` frames, ``t ~ U[0, time_mask_param)`` (SpecAugment).

    Args:
        time_mask_param: maximum band width.
        iid_masks: an independent band per example and channel (4-D input).
        p: the band is at most ``p * frames`` wide.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p=p)


class SpecAugment(nn.Module):
    r"""SpecAugment (Park et al., 2019): several time and frequency masks.

    Args:
        n_time_masks, time_mask_param, n_freq_masks, freq_mask_param: counts and widths.
        iid_masks: independent masks per example (inputs with more than 2 dims).
        p: time masks at most ``p * frames`` wide.
        zero_masking: fill with 0 (True) or the spectrogram's mean (False).
    """

    def __init__(self, n_time_masks: int, time_mask_param: int, n_freq_masks: int,
                 freq_mask_param: int, iid_masks: bool = True, p: float = 1.0,
                 zero_masking: bool = False):
        super().__init__()
        self.n_time_masks, self.time_mask_param = n_time_masks, time_mask_param
        self.n_freq_masks, self.freq_mask_param = n_freq_masks, freq_mask_param
        self.iid_masks, self.p, self.zero_masking = iid_masks, p, zero_masking

    def forward(self, specgram):
        mask_value = 0.0 if self.zero_masking else specgram.mean()
        time_dim = specgram.ndim - 1
        freq_dim = time_dim - 1
        masker = F.mask_along_axis_iid if specgram.ndim > 2 and self.iid_masks else \
            F.mask_along_axis
        for _ in range(self.n_time_masks):
            specgram = masker(specgram, self.time_mask_param, mask_value, time_dim, p=self.p)
        for _ in range(self.n_freq_masks):
            specgram = masker(specgram, self.freq_mask_param, mask_value, freq_dim, p=self.p)
        return specgram


class TimeStretch(nn.Module):
    r"""Stretch a complex STFT in time by ``rate`` (phase vocoder), keeping the pitch.

    Args:
        hop_length: hop of the STFT (default ``n_fft // 2``).
        n_freq: frequency bins (default 201).
        fixed_rate: rate used when ``forward`` gets none.

    Shape:
        ``(..., freq, frames)`` complex → ``(..., freq, ceil(frames / rate))``.
    """

    def __init__(self, hop_length=None, n_freq: int = 201, fixed_rate=None):
        super().__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.register_buffer("phase_advance",
                             ember.linspace(0, math.pi * hop_length, n_freq)[..., None])

    def forward(self, complex_specgrams, overriding_rate=None):
        if not complex_specgrams.dtype.is_complex:
            raise ValueError("TimeStretch expects a complex spectrogram (Spectrogram(power="
                             f"None)), got dtype {complex_specgrams.dtype}")
        rate = self.fixed_rate if overriding_rate is None else overriding_rate
        if rate is None:
            raise ValueError("If no fixed_rate is specified, must pass a valid rate to the "
                             "forward method.")
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class Resample(nn.Module):
    r"""Resample a waveform (windowed-sinc interpolation; the kernel is computed once).

    Args:
        orig_freq, new_freq: sample rates (default 16000 both).
        resampling_method: ``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"``.
        lowpass_filter_width: sinc zero crossings per side (default 6).
        rolloff: cutoff as a fraction of the lower Nyquist frequency (default 0.99).
        beta: Kaiser shape (default 14.769656459379492).
        dtype: dtype of the kernel's computation (None: float64, stored as float32).

    Shape:
        ``(..., time)`` → ``(..., ceil(time * new_freq / orig_freq))``.

    Examples:
        >>> Resample(16000, 8000)(waveform).shape
        ember.Size([1, 32000])
    """

    def __init__(self, orig_freq: int = 16000, new_freq: int = 16000,
                 resampling_method: str = "sinc_interp_hann", lowpass_filter_width: int = 6,
                 rolloff: float = 0.99, beta=None, *, dtype=None):
        super().__init__()
        self.orig_freq, self.new_freq = orig_freq, new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method = resampling_method
        self.lowpass_filter_width, self.rolloff, self.beta = lowpass_filter_width, rolloff, beta
        if self.orig_freq != self.new_freq:
            kernel, self.width = _get_sinc_resample_kernel(
                orig_freq, new_freq, self.gcd, lowpass_filter_width, rolloff,
                resampling_method, beta, dtype=dtype)
            self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, waveform):
        if self.orig_freq == self.new_freq:
            return waveform
        return _apply_sinc_resample_kernel(waveform, self.orig_freq, self.new_freq, self.gcd,
                                           self.kernel, self.width)


class PitchShift(nn.Module):
    r"""Shift the pitch by ``n_steps`` semitones: time-stretch the STFT by ``2**(-n/12)``,
    resynthesise, then resample back to the original length.

    Args:
        sample_rate: of the waveform.
        n_steps: semitones (negative: down).
        bins_per_octave: steps per octave (default 12).
        n_fft (512), win_length, hop_length (``win_length // 4``), window_fn: the STFT.
    """

    def __init__(self, sample_rate: int, n_steps: int, bins_per_octave: int = 12,
                 n_fft: int = 512, win_length=None, hop_length=None,
                 window_fn=ember.hann_window, wkwargs=None):
        super().__init__()
        self.sample_rate, self.n_steps, self.bins_per_octave = sample_rate, n_steps, \
            bins_per_octave
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        window = window_fn(self.win_length) if wkwargs is None else \
            window_fn(self.win_length, **wkwargs)
        self.register_buffer("window", window)
        rate = 2.0 ** (-float(n_steps) / bins_per_octave)
        self.orig_freq = int(sample_rate / rate)
        self.gcd = math.gcd(self.orig_freq, sample_rate)
        if self.orig_freq != sample_rate:
            kernel, self.width = _get_sinc_resample_kernel(self.orig_freq, sample_rate,
                                                           self.gcd)
            self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, waveform):
        shape = waveform.shape
        waveform = waveform.reshape(-1, shape[-1])
        length = shape[-1]
        rate = 2.0 ** (-float(self.n_steps) / self.bins_per_octave)
        spec = ember.stft(waveform, self.n_fft, self.hop_length, self.win_length, self.window,
                          return_complex=True)
        phase_advance = ember.linspace(0, math.pi * self.hop_length, spec.shape[-2],
                                       device=waveform.device, dtype=waveform.dtype)[..., None]
        stretched = F.phase_vocoder(spec, rate, phase_advance)
        stretched_length = int(round(length / rate))
        shifted = ember.istft(stretched, self.n_fft, self.hop_length, self.win_length,
                              self.window, length=stretched_length)
        if self.orig_freq != self.sample_rate:
            shifted = _apply_sinc_resample_kernel(shifted, self.orig_freq, self.sample_rate,
                                                  self.gcd, self.kernel, self.width)
        shift_len = shifted.shape[-1]
        if shift_len > length:
            shifted = shifted[..., :length]
        else:
            shifted = ember.nn.functional.pad(shifted, [0, length - shift_len])
        return shifted.reshape(tuple(shape[:-1]) + (length,))
