"""WikiText-2 and WikiText-103: language modelling on Wikipedia articles, ``.tokens`` files
in a zip."""

from __future__ import annotations

import os
from functools import partial

from ember_text.datasets.parsers import read_lines
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import download_and_extract, wrap_split_argument

_WIKITEXT = {
    "WikiText2": dict(
        url="https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
        md5="542ccefacc6c27f945fb54453812b3cd", folder="wikitext-2",
        num_lines={"train": 36718, "valid": 3760, "test": 4358}),
    "WikiText103": dict(
        url="https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-103-v1.zip",
        md5="9ddaacaf6af0710eda8c456decff7832", folder="wikitext-103",
        num_lines={"train": 1801350, "valid": 3760, "test": 4358}),
}


def _wikitext(name: str, root: str, split: str) -> RawTextIterableDataset:
    spec = _WIKITEXT[name]
    member = os.path.join(spec["folder"], f"wiki.{split}.tokens")
    path = download_and_extract(spec["url"], root, os.path.basename(spec["url"]), spec["md5"],
                                "md5", member)
    return RawTextIterableDataset(f"{name} {split}", partial(read_lines, path))


@wrap_split_argument(("train", "valid", "test"))
def WikiText2(root: str, split: str) -> RawTextIterableDataset:
    """WikiText-2 (https://blog.salesforceairesearch.com/the-wikitext-long-term-dependency-language-modeling-dataset/).

    Number of lines per split: train 36718, valid 3760, test 4358.

    Args:
        root: folder for the files (the dataset goes in ``root/WikiText2``).
        split: ``"train"``, ``"valid"``, ``"test"`` or a tuple of them.

    Returns:
        an iterable dataset of the lines of ``wiki.<split>.tokens`` (newline kept; headings
        like `` = Title = `` and blank lines included).
    """
    return _wikitext("WikiText2", root, split)


@wrap_split_argument(("train", "valid", "test"))
def WikiText103(root: str, split: str) -> RawTextIterableDataset:
    """WikiText-103: like :func:`WikiText2`, 50× larger training split.

    Number of lines per split: train 1801350, valid 3760, test 4358.
    """
    return _wikitext("WikiText103", root, split)
