"""AG_NEWS: news topic classification (4 classes), CSV files."""

from __future__ import annotations

import os
from functools import partial

from ember_text.datasets.parsers import read_label_text_csv
from ember_text.datasets.text_dataset import RawTextIterableDataset
from ember_text.datasets.utils import wrap_split_argument
from ember_text.utils import download_from_url

URL = {
    "train": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
    "test": "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/test.csv",
}
MD5 = {"train": "b1a00f826fdfbd249f79597b59e1dc12", "test": "d52ea96a97a2d943681189a97654912d"}
NUM_LINES = {"train": 120000, "test": 7600}


@wrap_split_argument(("train", "test"))
def AG_NEWS(root: str, split: str) -> RawTextIterableDataset:
    """AG_NEWS dataset (https://paperswithcode.com/dataset/ag-news).

    Number of lines per split: train 120000, test 7600.

    Args:
        root: folder for the files (default ``$EMBER_HOME/text``; the dataset goes in
            ``root/AG_NEWS``).
        split: ``"train"``, ``"test"`` or a tuple of them (then a tuple is returned).

    Returns:
        an iterable dataset of ``(label, text)``: label 1–4 (World, Sports, Business,
        Sci/Tech), text = title and description joined by a space.
    """
    path = download_from_url(URL[split], os.path.join(root, split + ".csv"),
                             hash_value=MD5[split], hash_type="md5")
    return RawTextIterableDataset(f"AG_NEWS {split}", partial(read_label_text_csv, path))
