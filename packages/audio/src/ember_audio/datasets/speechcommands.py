"""Speech Commands (Warden, 2018): one-second clips of 35 short words, 16 kHz."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import download_and_extract, load_waveform

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_BASE_URL = "http://download.tensorflow.org/data/"
_CHECKSUMS = {
    _BASE_URL + "speech_commands_v0.01.tar.gz":
        "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    _BASE_URL + "speech_commands_v0.02.tar.gz":
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}
_SUBSETS = ("training", "validation", "testing")


def _load_list(root: str, *filenames: str) -> list[str]:
    output = []
    for filename in filenames:
        with open(os.path.join(root, filename), encoding="utf-8") as fileobj:
            output += [os.path.normpath(os.path.join(root, line.strip())) for line in fileobj
                       if line.strip()]
    return output


def _get_speechcommands_metadata(filepath: str, path: str):
    """``(relative path, sample rate, label, speaker_id, utterance_number)`` from a path like
    ``.../yes/0a7c2a8d_nohash_0.wav``."""
    relpath = os.path.relpath(filepath, path)
    reldir, filename = os.path.split(relpath)
    _, label = os.path.split(reldir)
    # test-set archives have names like "xxx.wav.wav": strip the extension twice
    speaker, _ = os.path.splitext(filename)
    speaker, _ = os.path.splitext(speaker)
    speaker_id, utterance_number = speaker.split(HASH_DIVIDER)
    return relpath, SAMPLE_RATE, label, speaker_id, int(utterance_number)


class SPEECHCOMMANDS(Dataset):
    """*Speech Commands* dataset: items ``(waveform, sample_rate, label, speaker_id,
    utterance_number)``.

    Args:
        root: folder where the dataset is found or downloaded to.
        url: ``"speech_commands_v0.01"``, ``"speech_commands_v0.02"`` (default) or a URL.
        folder_in_archive: top folder (default ``"SpeechCommands"``).
        download: download and extract when the folder is missing.
        subset: None (everything), ``"training"``, ``"validation"`` or ``"testing"``; the last
            two are the files listed in ``validation_list.txt`` / ``testing_list.txt``,
            ``"training"`` is the rest (without ``_background_noise_``).

    Examples:
        >>> waveform, sr, label, speaker, n = SPEECHCOMMANDS("data", subset="testing")[0]
    """

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False, subset: str | None = None) -> None:
        if subset is not None and subset not in _SUBSETS:
            raise ValueError("When `subset` is not None, it must be one of ['training', "
                             "'validation', 'testing'].")
        if url in ("speech_commands_v0.01", "speech_commands_v0.02"):
            url = _BASE_URL + url + ".tar.gz"
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        basename = os.path.basename(url)
        archive = os.path.join(root, basename)
        self._path = os.path.join(root, folder_in_archive, basename.rsplit(".", 2)[0])
        if download:
            if not os.path.isdir(self._path):
                # the archive has no top folder: extract into the dataset folder itself
                download_and_extract(url, archive, _CHECKSUMS.get(url), self._path)
        elif not os.path.exists(self._path):
            raise RuntimeError(f"The path {self._path} doesn't exist. Please check the ``root`` "
                               f"path or set `download=True` to download it")
        self._walker = self._files(subset)

    def _files(self, subset):
        if subset == "validation":
            return _load_list(self._path, "validation_list.txt")
        if subset == "testing":
            return _load_list(self._path, "testing_list.txt")
        walker = sorted(str(p) for p in Path(self._path).glob("*/*.wav"))
        walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
        if subset == "training":
            excludes = set(_load_list(self._path, "validation_list.txt", "testing_list.txt"))
            walker = [w for w in walker if os.path.normpath(w) not in excludes]
        return walker

    def get_metadata(self, n: int):
        """The fields of ``__getitem__`` with the relative path instead of the waveform."""
        return _get_speechcommands_metadata(self._walker[n], self._archive)

    def __getitem__(self, n: int):
        metadata = self.get_metadata(n)
        return (load_waveform(self._archive, metadata[0], metadata[1]),) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
