"""IMDB: movie review sentiment, the aclImdb folder tree in a tar.gz."""

from __future__ import annotations

import os
from functools import partial

from ember_text.datasets.parsers import read_imdb
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import download_and_extract, wrap_split_argument

URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
NUM_LINES = {"train": 25000, "test": 25000}
_PATH = "aclImdb_v1.tar.gz"


@wrap_split_argument(("train", "test"))
def IMDB(root: str, split: str) -> RawTextIterableDataset:
    """IMDB dataset (http://ai.stanford.edu/~amaas/data/sentiment/).

    Number of lines per split: train 25000, test 25000.

    Args:
        root: folder for the files (the dataset goes in ``root/IMDB``).
        split: ``"train"``, ``"test"`` or a tuple of them.

    Returns:
        an iterable dataset of ``(label, text)``: label 1 (``neg``) or 2 (``pos``), the
        negative reviews first; the unlabelled ``unsup`` reviews are left out.
    """
    split_dir = download_and_extract(URL, root, _PATH, MD5, "md5", os.path.join("aclImdb", split))
    return RawTextIterableDataset(f"IMDB {split}", partial(read_imdb, split_dir))
