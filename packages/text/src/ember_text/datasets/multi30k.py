"""Multi30k: German–English sentence pairs (WMT16 multimodal task 1), line-aligned
``<prefix>.de`` / ``<prefix>.en`` files in a tar.gz per split."""

from __future__ import annotations

import os
from functools import partial

from ember.utils.archive import extract_archive
from ember_text.datasets.parsers import read_parallel
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import wrap_split_argument
from ember_text.utils import download_from_url

URL = {
    "train": "http://www.quest.dcs.shef.ac.uk/wmt16_files_mmt/training.tar.gz",
    "valid": "http://www.quest.dcs.shef.ac.uk/wmt16_files_mmt/validation.tar.gz",
    "test": "http://www.quest.dcs.shef.ac.uk/wmt16_files_mmt/mmt16_task1_test.tar.gz",
}
# SHA-256 digests (torchtext keeps them in a dict named MD5)
SHA256 = {
    "train": "20140d013d05dd9a72dfde46478663ba05737ce983f478f960c1123c6671be5e",
    "valid": "a7aa20e9ebd5ba5adce7909498b94410996040857154dab029851af3a866da8c",
    "test": "0681be16a532912288a91ddd573594fbdd57c0fbb81486eff7c55247e35326c2",
}
_PREFIX = {"train": "train", "valid": "val", "test": "test"}
NUM_LINES = {"train": 29000, "valid": 1014, "test": 1000}


@wrap_split_argument(("train", "valid", "test"))
def Multi30k(root: str, split: str, language_pair: tuple[str, str] = ("de", "en")
             ) -> RawTextIterableDataset:
    """Multi30k dataset (https://www.statmt.org/wmt16/multimodal-task.html#task1).

    Number of lines per split: train 29000, valid 1014, test 1000.

    Args:
        root: folder for the files (the dataset goes in ``root/Multi30k``).
        split: ``"train"``, ``"valid"``, ``"test"`` or a tuple of them.
        language_pair: ``("de", "en")`` or ``("en", "de")``: (source, target).

    Returns:
        an iterable dataset of ``(source sentence, target sentence)``.
    """
    if len(language_pair) != 2 or tuple(sorted(language_pair)) != ("de", "en"):
        raise ValueError(f"language_pair must be ('de', 'en') or ('en', 'de'), got "
                         f"{language_pair!r}")
    names = [f"{_PREFIX[split]}.{lang}" for lang in language_pair]
    paths = _find_files(root, names)
    if paths is None:
        archive = download_from_url(URL[split], root=root, hash_value=SHA256[split],
                                    hash_type="sha256")
        extract_archive(archive, os.path.join(root, split))
        paths = _find_files(root, names)
        if paths is None:
            raise RuntimeError(f"{archive} does not contain both {names}")
    return RawTextIterableDataset(f"Multi30k {split} {language_pair}",
                                  partial(read_parallel, *paths))


def _find_files(root: str, names: list[str]) -> list[str] | None:
    """The paths of ``names`` somewhere under ``root`` (the archives differ in their folder
    layout), or None when one is missing."""
    found: dict[str, str] = {}
    for folder, _, files in os.walk(root):
        for name in names:
            if name in files and name not in found:
                found[name] = os.path.join(folder, name)
    return [found[name] for name in names] if len(found) == len(names) else None
