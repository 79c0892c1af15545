"""``ember_audio.datasets``: torchaudio's speech datasets (same items, same folders, same
published URLs and checksums), downloaded through ``ember.hub``."""

from .librispeech import LIBRISPEECH
from .ljspeech import LJSPEECH
from .speechcommands import SPEECHCOMMANDS
from .yesno import YESNO

__all__ = ["LIBRISPEECH", "LJSPEECH", "SPEECHCOMMANDS", "YESNO"]
