"""``ember_audio.models``: M5 (keyword spotting), Wav2Letter, CREPE (pitch) and Silero VAD."""

from . import crepe
from .m5 import M5
from .silero_vad import SileroVAD, load_silero_vad
from .wav2letter import Wav2Letter

__all__ = ["M5", "SileroVAD", "Wav2Letter", "crepe", "load_silero_vad"]
