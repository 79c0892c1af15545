"""Download / extract / load helpers shared by the datasets (torchaudio.datasets.utils' roles),
built on ``ember.hub.download_url_to_file`` (resumable, checksummed, ``$EMBER_HUB_MIRROR``)
and ``ember.utils.archive.extract_archive`` (refuses members that escape the target folder)."""

from __future__ import annotations

import os

from ember.hub import download_url_to_file
from ember.utils.archive import extract_archive

from ..io import load

__all__ = ["download_and_extract", "extract_archive"]


def download_and_extract(url: str, archive: str, checksum: str | None, to_path=None) -> str:
    """Download ``url`` to ``archive`` unless it is there, verifying its SHA-256 (prefix)
    ``checksum``, then extract it into ``to_path`` (default: the archive's folder)."""
    if not os.path.isfile(archive):
        os.makedirs(os.path.dirname(os.path.abspath(archive)), exist_ok=True)
        download_url_to_file(url, archive, hash_prefix=checksum)
    return extract_archive(archive, to_path)


def load_waveform(root: str, filename: str, exp_sample_rate: int):
    """``load(root/filename)``, checking the sample rate the dataset promises."""
    path = os.path.join(root, filename)
    waveform, sample_rate = load(path)
    if exp_sample_rate != sample_rate:
        raise ValueError(f"sample rate should be {exp_sample_rate}, but got {sample_rate} "
                         f"({path})")
    return waveform
