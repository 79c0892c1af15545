"""ember-audio: torchaudio's API on ember (``import ember_audio as torchaudio``).

``load`` / ``save`` / ``info`` read and write audio through soundfile; ``functional`` and
``transforms`` are differentiable ember ops; ``datasets`` download and parse the common speech
corpora; ``models`` holds M5, Wav2Letter, CREPE and Silero VAD.
"""

from . import functional, transforms
from .io import AudioMetaData, info, load, save

__version__ = "0.1.0"

__all__ = ["AudioMetaData", "datasets", "functional", "info", "load", "models", "save",
           "transforms"]


def __getattr__(name: str):
    """``datasets`` and ``models`` import on first use (they pull in more modules)."""
    if name in ("datasets", "models"):
        import importlib

        return importlib.import_module(f"ember_audio.{name}")
    raise AttributeError(f"module 'ember_audio' has no attribute '{name}'")
