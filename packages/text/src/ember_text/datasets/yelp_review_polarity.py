"""YelpReviewPolarity: review sentiment (2 classes), CSV files in a tar.gz."""

from __future__ import annotations

import os
from functools import partial

from ember_text.datasets.parsers import read_label_text_csv
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import download_and_extract, wrap_split_argument

# A Google Drive link: large files there answer with a confirmation page first, which fails
# the MD5 check; put the archive in root/YelpReviewPolarity/ by hand (or in $EMBER_HUB_MIRROR).
URL = "https://drive.google.com/uc?export=download&id=0Bz8a_Dbh9QhbNUpYQ2N3SGlFaDg"
MD5 = "620c8ae4bd5a150b730f1ba9a7c6a4d3"
NUM_LINES = {"train": 560000, "test": 38000}
_PATH = "yelp_review_polarity_csv.tar.gz"
_EXTRACTED_FILES = {
    "train": os.path.join("yelp_review_polarity_csv", "train.csv"),
    "test": os.path.join("yelp_review_polarity_csv", "test.csv"),
}


@wrap_split_argument(("train", "test"))
def YelpReviewPolarity(root: str, split: str) -> RawTextIterableDataset:
    """YelpReviewPolarity dataset (https://arxiv.org/abs/1509.01626).

    Number of lines per split: train 560000, test 38000.

    Args:
        root: folder for the files (the dataset goes in ``root/YelpReviewPolarity``).
        split: ``"train"``, ``"test"`` or a tuple of them.

    Returns:
        an iterable dataset of ``(label, text)``, label 1 (negative) or 2 (positive).
    """
    path = download_and_extract(URL, root, _PATH, MD5, "md5", _EXTRACTED_FILES[split])
    return RawTextIterableDataset(f"YelpReviewPolarity {split}",
                                  partial(read_label_text_csv, path))
