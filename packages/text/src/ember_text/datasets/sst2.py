"""SST2: sentence sentiment (GLUE's SST-2), TSV files in a zip."""

from __future__ import annotations

import os
from functools import partial

from ember_text.datasets.parsers import read_tsv
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import download_and_extract, wrap_split_argument

URL = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
MD5 = "9f81648d4199384278b86e315dac217c"
NUM_LINES = {"train": 67349, "dev": 872, "test": 1821}
_PATH = "SST-2.zip"
_EXTRACTED_FILES = {split: os.path.join("SST-2", f"{split}.tsv") for split in NUM_LINES}


@wrap_split_argument(("train", "dev", "test"))
def SST2(root: str, split: str) -> RawTextIterableDataset:
    """SST2 dataset (https://nlp.stanford.edu/sentiment/).

    Number of lines per split: train 67349, dev 872, test 1821.

    Args:
        root: folder for the files (the dataset goes in ``root/SST2``).
        split: ``"train"``, ``"dev"``, ``"test"`` or a tuple of them.

    Returns:
        an iterable dataset of ``(text, label)`` (label 0 negative, 1 positive); the test
        split has no labels and yields ``(text,)``.
    """
    path = download_and_extract(URL, root, _PATH, MD5, "md5", _EXTRACTED_FILES[split])
    return RawTextIterableDataset(f"SST2 {split}", partial(read_tsv, path, split != "test"))
