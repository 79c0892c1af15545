"""Silero VAD v6 (16 kHz branch), rebuilt from `silero-vad <https://github.com/snakers4/silero-vad>`_
(MIT): a voice-activity detector that gives one speech probability per 512-sample chunk (32 ms).

Per call the model sees 576 samples: the chunk with the previous 64 samples of context in front.
It reflect-pads 64 samples on the right, takes an STFT written as a ``Conv1d`` (258 filters =
129 real + 129 imaginary, window 256, hop 128), keeps the magnitude, runs four Conv1d+ReLU
layers, an ``LSTMCell`` whose state is carried from chunk to chunk, ReLU, a 1×1 Conv1d and a
sigmoid, and averages over the (one) remaining time step.

Weights: ``load_silero_vad(path)`` reads the package's ``silero_vad_16k.safetensors`` (or an
``.npz`` with the same keys); the state-dict keys are those of the package's own rebuild
(``stft_conv.weight``, ``conv1.weight`` … ``lstm_cell.weight_ih`` … ``final_conv.bias``).

Examples:
    >>> model = load_silero_vad("silero_vad_16k.safetensors")
    >>> probs = model.audio_forward(waveform, 16000)      # (1, chunks)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ember
import ember.nn.functional as F
from ember import nn

__all__ = ["SileroVAD", "load_silero_vad"]

SAMPLE_RATE = 16000
CHUNK_SIZE = 512
CONTEXT_SIZE = 64


class SileroVAD(nn.Module):
    """The 16 kHz Silero VAD network.

    Shape:
        ``forward(x, state)``: ``x`` ``(B, 576)`` (context + chunk), ``state`` a pair
        ``(h, c)`` of ``(B, 128)`` or None → ``(prob (B, 1), (h, c))``.
    """

    def __init__(self):
        super().__init__()
        self.stft_conv = nn.Conv1d(1, 258, 256, stride=128, bias=False)
        self.conv1 = nn.Conv1d(129, 128, 3, padding=1)
        self.conv2 = nn.Conv1d(128, 64, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(64, 64, 3, stride=2, padding=1)
        self.conv4 = nn.Conv1d(64, 128, 3, padding=1)
        self.lstm_cell = nn.LSTMCell(128, 128)
        self.final_conv = nn.Conv1d(128, 1, 1)

    def stft_magnitude(self, x):
        """``(B, 576)`` → ``(B, 129, 4)`` magnitudes of the conv-STFT."""
        x = F.pad(x.unsqueeze(1), (0, 64), mode="reflect")
        spec = self.stft_conv(x)
        real, imag = spec[:, :129], spec[:, 129:]
        return ember.sqrt(real * real + imag * imag)

    def encoder(self, mag):
        """``(B, 129, 4)`` → ``(B, 128)``."""
        x = F.relu(self.conv1(mag))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        return x.squeeze(-1)

    def forward(self, x, state=None):
        if x.ndim != 2 or x.shape[1] != CHUNK_SIZE + CONTEXT_SIZE:
            raise ValueError(f"SileroVAD expects (batch, {CHUNK_SIZE + CONTEXT_SIZE}) inputs "
                             f"(64 samples of context + a 512-sample chunk at 16 kHz), got "
                             f"{list(x.shape)}")
        h, c = self.lstm_cell(self.encoder(self.stft_magnitude(x)), state)
        out = ember.sigmoid(self.final_conv(F.relu(h).unsqueeze(-1)))
        return out.mean(dim=-1), (h, c)

    def audio_forward(self, audio, sample_rate: int = SAMPLE_RATE):
        """Speech probability of every 512-sample chunk of ``audio`` ``(time,)`` or
        ``(B, time)`` (zero-padded to a multiple of 512), carrying context and LSTM state.

        Returns:
            ``(B, chunks)`` probabilities.
        """
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"This rebuild has only the 16 kHz branch; resample the audio to "
                             f"16000 Hz (got sample_rate={sample_rate})")
        audio = audio.unsqueeze(0) if audio.ndim == 1 else audio
        tail = audio.shape[1] % CHUNK_SIZE
        if tail:
            audio = F.pad(audio, (0, CHUNK_SIZE - tail))
        context = ember.zeros(audio.shape[0], CONTEXT_SIZE, dtype=audio.dtype,
                              device=audio.device)
        state, probs = None, []
        with ember.no_grad():
            for start in range(0, audio.shape[1], CHUNK_SIZE):
                x = ember.cat([context, audio[:, start:start + CHUNK_SIZE]], dim=1)
                prob, state = self(x, state)
                probs.append(prob)
                context = x[:, -CONTEXT_SIZE:]
        return ember.cat(probs, dim=1)


def _read_tensors(path: Path) -> dict:
    """Tensors of a ``.safetensors`` or ``.npz`` file (neither can carry code)."""
    if path.suffix == ".safetensors":
        from safetensors.numpy import load_file

        arrays = load_file(str(path))
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    else:
        raise ValueError(f"Unsupported Silero VAD weight file {path}: expected .safetensors "
                         f"or .npz")
    return {k: ember.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}


def load_silero_vad(path) -> SileroVAD:
    """A ``SileroVAD`` in eval mode with the weights of ``path`` (``silero_vad_16k.safetensors``
    from the silero-vad wheel, or an ``.npz`` with the same keys)."""
    model = SileroVAD()
    model.load_state_dict(_read_tensors(Path(path)))
    return model.eval()
