"""Wav2Letter (Collobert et al., 2016), torchaudio's layout and state-dict keys."""

from __future__ import annotations

import ember.nn.functional as F
from ember import nn

__all__ = ["Wav2Letter"]


class Wav2Letter(nn.Module):
    r"""Wav2Letter: a fully convolutional acoustic model (11 Conv1d + ReLU layers) that outputs
    per-frame log-probabilities of ``num_classes`` characters (train with CTC).

    Args:
        num_classes: output classes (default 40).
        input_type: ``"waveform"`` (a learned front-end, kernel 250, stride 160, turns
            audio into 250 features), ``"power_spectrum"`` or ``"mfcc"``.
        num_features: input channels (1 for a waveform, the feature count otherwise).

    Shape:
        ``(batch, num_features, time)`` → ``(batch, num_classes, frames)`` log-probabilities.

    Examples:
        >>> model = Wav2Letter(num_classes=29, input_type="mfcc", num_features=13)
        >>> model(mfcc).shape       # mfcc: (8, 13, 401)
        ember.Size([8, 29, 201])
    """

    def __init__(self, num_classes: int = 40, input_type: str = "waveform",
                 num_features: int = 1) -> None:
        super().__init__()
        if input_type not in ("waveform", "power_spectrum", "mfcc"):
            raise ValueError(f"input_type must be 'waveform', 'power_spectrum' or 'mfcc', got "
                             f"{input_type!r}")
        acoustic_num_features = 250 if input_type == "waveform" else num_features
        layers = [nn.Conv1d(acoustic_num_features, 250, kernel_size=48, stride=2, padding=23),
                  nn.ReLU(inplace=True)]
        for _ in range(7):
            layers += [nn.Conv1d(250, 250, kernel_size=7, stride=1, padding=3),
                       nn.ReLU(inplace=True)]
        layers += [nn.Conv1d(250, 2000, kernel_size=32, stride=1, padding=16),
                   nn.ReLU(inplace=True),
                   nn.Conv1d(2000, 2000, kernel_size=1, stride=1, padding=0),
                   nn.ReLU(inplace=True),
                   nn.Conv1d(2000, num_classes, kernel_size=1, stride=1, padding=0),
                   nn.ReLU(inplace=True)]
        acoustic_model = nn.Sequential(*layers)
        if input_type == "waveform":
            waveform_model = nn.Sequential(
                nn.Conv1d(num_features, 250, kernel_size=250, stride=160, padding=45),
                nn.ReLU(inplace=True))
            self.acoustic_model = nn.Sequential(waveform_model, acoustic_model)
        else:
            self.acoustic_model = acoustic_model

    def forward(self, x):
        return F.log_softmax(self.acoustic_model(x), dim=1)
