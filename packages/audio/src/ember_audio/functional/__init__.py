"""``ember_audio.functional``: torchaudio.functional's stateless operations on ember tensors."""

from .filtering import (
    allpass_biquad,
    bandpass_biquad,
    bandreject_biquad,
    biquad,
    equalizer_biquad,
    filtfilt,
    highpass_biquad,
    lfilter,
    lowpass_biquad,
)
from .functional import gain, mask_along_axis, mask_along_axis_iid, mu_law_decoding, mu_law_encoding
from .resampling import resample
from .spectral import (
    DB_to_amplitude,
    amplitude_to_DB,
    compute_deltas,
    create_dct,
    griffinlim,
    inverse_spectrogram,
    linear_fbanks,
    melscale_fbanks,
    phase_vocoder,
    spectrogram,
)

__all__ = ["allpass_biquad", "amplitude_to_DB", "bandpass_biquad", "bandreject_biquad", "biquad",
           "compute_deltas", "create_dct", "DB_to_amplitude", "equalizer_biquad", "filtfilt",
           "gain", "griffinlim", "highpass_biquad", "inverse_spectrogram", "lfilter",
           "linear_fbanks", "lowpass_biquad", "mask_along_axis", "mask_along_axis_iid",
           "melscale_fbanks", "mu_law_decoding", "mu_law_encoding", "phase_vocoder", "resample",
           "spectrogram"]
