"""YesNo (OpenSLR 1): 60 recordings of one speaker saying eight yes/no words in Hebrew."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from ..io import load
from .utils import download_and_extract

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "waves_yesno",
        "url": "http://www.openslr.org/resources/1/waves_yesno.tar.gz",
        "checksum": "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73",
    }
}


class YESNO(Dataset):
    """*YesNo* dataset: items ``(waveform, sample_rate, labels)`` with ``labels`` the eight
    0/1 words of the file name (``0_1_0_0_1_0_1_1.wav``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: download URL (default: OpenSLR's ``waves_yesno.tar.gz``).
        folder_in_archive: top folder of the archive (default ``"waves_yesno"``).
        download: download and extract the archive when the folder is missing.

    Examples:
        >>> waveform, sample_rate, labels = YESNO("data", download=True)[0]
    """

    def __init__(self, root, url: str = _RELEASE_CONFIGS["release1"]["url"],
                 folder_in_archive: str = _RELEASE_CONFIGS["release1"]["folder_in_archive"],
                 download: bool = False) -> None:
        root = Path(root)
        archive = root / os.path.basename(url)
        self._path = root / folder_in_archive
        if download and not os.path.isdir(self._path):
            download_and_extract(url, str(archive), _RELEASE_CONFIGS["release1"]["checksum"])
        if not os.path.isdir(self._path):
            raise RuntimeError("Dataset not found. Please use `download=True` to download it.")
        self._walker = sorted(str(p.stem) for p in Path(self._path).glob("*.wav"))

    def __getitem__(self, n: int):
        fileid = self._walker[n]
        labels = [int(c) for c in fileid.split("_")]
        waveform, sample_rate = load(os.path.join(self._path, fileid + ".wav"))
        return waveform, sample_rate, labels

    def __len__(self) -> int:
        return len(self._walker)
