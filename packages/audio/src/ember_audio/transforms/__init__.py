"""``ember_audio.transforms``: torchaudio.transforms as ember ``nn.Module``s."""

from .augment import (
    Fade,
    FrequencyMasking,
    MuLawDecoding,
    MuLawEncoding,
    PitchShift,
    Resample,
    SpecAugment,
    TimeMasking,
    TimeStretch,
    Vol,
)
from .spectral import (
    LFCC,
    MFCC,
    AmplitudeToDB,
    ComputeDeltas,
    GriffinLim,
    InverseMelScale,
    InverseSpectrogram,
    MelScale,
    MelSpectrogram,
    Spectrogram,
)

__all__ = ["AmplitudeToDB", "ComputeDeltas", "Fade", "FrequencyMasking", "GriffinLim",
           "InverseMelScale", "InverseSpectrogram", "LFCC", "MFCC", "MelScale", "MelSpectrogram",
           "MuLawDecoding", "MuLawEncoding",
           "PitchShift", "Resample", "SpecAugment", "Spectrogram", "TimeMasking", "TimeStretch",
           "Vol"]
