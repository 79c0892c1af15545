"""LibriSpeech (OpenSLR 12): read English speech from LibriVox audiobooks, 16 kHz FLAC."""

from __future__ import annotations

import os
from pathlib import Path

from ember.utils.data import Dataset

from .utils import download_and_extract, load_waveform

URL = "train-clean-100"
FOLDER_IN_ARCHIVE = "LibriSpeech"
SAMPLE_RATE = 16000
_BASE_URL = "http://www.openslr.org/resources/12/"
_DATA_SUBSETS = ["dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100",
                 "train-clean-360", "train-other-500"]
_CHECKSUMS = {
    _BASE_URL + "dev-clean.tar.gz":
        "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
    _BASE_URL + "dev-other.tar.gz":
        "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
    _BASE_URL + "test-clean.tar.gz":
        "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
    _BASE_URL + "test-other.tar.gz":
        "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
    _BASE_URL + "train-clean-100.tar.gz":
        "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2",
    _BASE_URL + "train-clean-360.tar.gz":
        "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf",
    _BASE_URL + "train-other-500.tar.gz":
        "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2",
}


def _get_librispeech_metadata(fileid: str, root: str, folder: str, ext_audio: str,
                              ext_txt: str):
    """``(relative audio path, sample rate, transcript, speaker, chapter, utterance)`` from the
    chapter's ``<speaker>-<chapter>.trans.txt``."""
    speaker_id, chapter_id, utterance_id = fileid.split("-")
    filepath = os.path.join(folder, speaker_id, chapter_id, f"{fileid}{ext_audio}")
    file_text = os.path.join(root, folder, speaker_id, chapter_id,
                             f"{speaker_id}-{chapter_id}{ext_txt}")
    with open(file_text, encoding="utf-8") as ft:
        for line in ft:
            fileid_text, transcript = line.strip().split(" ", 1)
            if fileid == fileid_text:
                break
        else:
            raise FileNotFoundError(f"Translation not found for {fileid} in {file_text}")
    return filepath, SAMPLE_RATE, transcript, int(speaker_id), int(chapter_id), int(utterance_id)


class LIBRISPEECH(Dataset):
    """*LibriSpeech* dataset: items ``(waveform, sample_rate, transcript, speaker_id,
    chapter_id, utterance_id)``.

    Args:
        root: folder where the dataset is found or downloaded to.
        url: the subset: ``"dev-clean"``, ``"dev-other"``, ``"test-clean"``,
            ``"test-other"``, ``"train-clean-100"`` (default), ``"train-clean-360"``,
            ``"train-other-500"``.
        folder_in_archive: top folder (default ``"LibriSpeech"``).
        download: download (from openslr.org, or ``$EMBER_HUB_MIRROR``) and extract when the
            subset's folder is missing.

    Examples:
        >>> waveform, sr, text, speaker, chapter, utterance = LIBRISPEECH("data", "dev-clean")[0]
    """

    _ext_txt = ".trans.txt"
    _ext_audio = ".flac"

    def __init__(self, root, url: str = URL, folder_in_archive: str = FOLDER_IN_ARCHIVE,
                 download: bool = False) -> None:
        if url not in _DATA_SUBSETS:
            raise ValueError(f"Invalid url '{url}' given; please provide one of {_DATA_SUBSETS}.")
        self._url = url
        root = os.fspath(root)
        self._archive = os.path.join(root, folder_in_archive)
        self._path = os.path.join(root, folder_in_archive, url)
        if not os.path.isdir(self._path):
            if not download:
                raise RuntimeError(f"Dataset not found at {self._path}. Please set "
                                   f"`download=True` to download the dataset.")
            download_url = _BASE_URL + url + ".tar.gz"
            download_and_extract(download_url, os.path.join(root, url + ".tar.gz"),
                                 _CHECKSUMS.get(download_url))
        self._walker = sorted(str(p.stem) for p in Path(self._path).glob("*/*/*" +
                                                                         self._ext_audio))

    def get_metadata(self, n: int):
        """The fields of ``__getitem__`` with the audio's relative path instead of the
        waveform (nothing is decoded)."""
        return _get_librispeech_metadata(self._walker[n], self._archive, self._url,
                                         self._ext_audio, self._ext_txt)

    def __getitem__(self, n: int):
        metadata = self.get_metadata(n)
        return (load_waveform(self._archive, metadata[0], metadata[1]),) + metadata[1:]

    def __len__(self) -> int:
        return len(self._walker)
