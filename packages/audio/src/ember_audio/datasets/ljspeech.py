"""LJSpeech 1.1: 13,100 clips of one speaker reading non-fiction, with transcripts."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ember.utils.data import Dataset

from ..io import load
from .utils import download_and_extract

_RELEASE_CONFIGS = {
    "release1": {
        "folder_in_archive": "wavs",
        "url": "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2",
        "checksum": "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5",
    }
}


class LJSPEECH(Dataset):
    """*LJSpeech-1.1* dataset: items ``(waveform, sample_rate, transcript,
    normalized_transcript)`` from ``metadata.csv`` (``id|text|normalized text``).

    Args:
        root: folder where the dataset is found or downloaded to.
        url: download URL (default: keithito.com's ``LJSpeech-1.1.tar.bz2``).
        folder_in_archive: the audio folder inside ``LJSpeech-1.1`` (default ``"wavs"``).
        download: download and extract the archive when the folder is missing.
    """

    def __init__(self, root, url: str = _RELEASE_CONFIGS["release1"]["url"],
                 folder_in_archive: str = _RELEASE_CONFIGS["release1"]["folder_in_archive"],
                 download: bool = False) -> None:
        root = Path(root)
        basename = os.path.basename(url)
        archive = root / basename
        basename = Path(basename.split(".tar.bz2")[0])
        self._path = root / basename / folder_in_archive
        self._metadata_path = root / basename / "metadata.csv"
        if download:
            if not os.path.isdir(self._path):
                download_and_extract(url, str(archive), _RELEASE_CONFIGS["release1"]["checksum"])
        elif not os.path.exists(self._path):
            raise RuntimeError(f"The path {self._path} doesn't exist. Please check the ``root`` "
                               f"path or set `download=True` to download it")
        with open(self._metadata_path, newline="", encoding="utf-8") as metadata:
            self._flist = list(csv.reader(metadata, delimiter="|", quoting=csv.QUOTE_NONE))
        for line_no, row in enumerate(self._flist, 1):
            if len(row) != 3:
                raise RuntimeError(f"{self._metadata_path}, line {line_no}: expected 3 fields "
                                   f"'id|transcript|normalized transcript', got {len(row)}")

    def __getitem__(self, n: int):
        fileid, transcript, normalized_transcript = self._flist[n]
        waveform, sample_rate = load(self._path / (fileid + ".wav"))
        return waveform, sample_rate, transcript, normalized_transcript

    def __len__(self) -> int:
        return len(self._flist)
