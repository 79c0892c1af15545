"""CIFAR-10 and CIFAR-100 from their "python version" archives (pickled NumPy batches).

The batches are read through :mod:`ember_vision.datasets.restricted_pickle`, never plain
``pickle.load``: a dataset file cannot run code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ember_vision.datasets.archive_files import ArchiveFilesMixin
from ember_vision.datasets.restricted_pickle import restricted_load
from ember_vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(ArchiveFilesMixin, VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 50,000 training and 10,000
    test images, 32 x 32 RGB, 10 classes.

    Args:
        root (str or ``pathlib.Path``): root folder; the batches live in
            ``root/cifar-10-batches-py/`` (``data_batch_1`` ... ``test_batch``,
            ``batches.meta``), as extracted from ``cifar-10-python.tar.gz``.
        train (bool, optional): the training set (default) or the test set.
        transform (callable, optional): applied to the PIL image (mode ``"RGB"``).
        target_transform (callable, optional): applied to the target (an ``int``).
        download (bool, optional): download and extract the archive into ``root`` first,
            unless the files are there with the right MD5.

    Attributes:
        data (np.ndarray): uint8 images, shape (N, 32, 32, 3) (HWC, like torchvision).
        targets (list[int]): class indices.
        classes (list[str]): the class names, from the meta file.

    Examples::

        >>> train = CIFAR10("data", train=True, download=True)
        >>> image, label = train[0]     # PIL.Image.Image 32x32 RGB, int
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    labels_key = "labels"

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        self._check_or_download(download)
        batches = [self._load_batch(self._path(name))
                   for name, _ in (self.train_list if train else self.test_list)]
        self.data = np.concatenate([images for images, _ in batches])
        self.targets = [label for _, labels in batches for label in labels]
        self._load_meta()

    def _files(self) -> list[list[str]]:
        return self.train_list + self.test_list + [[self.meta["filename"], self.meta["md5"]]]

    def _load_batch(self, path: str) -> tuple[np.ndarray, list[int]]:
        """One pickled batch: (uint8 images (N, 32, 32, 3), labels)."""
        entry = restricted_load(path)
        if not isinstance(entry, dict) or "data" not in entry or self.labels_key not in entry:
            found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ValueError(f"{path}: expected a dict with 'data' and '{self.labels_key}', "
                             f"found {found}")
        data, labels = entry["data"], [int(label) for label in entry[self.labels_key]]
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            what = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data)
            raise ValueError(f"{path}: 'data' should be a uint8 array of shape (N, 3072), got {what}")
        if len(labels) != len(data):
            raise ValueError(f"{path}: {len(data)} images but {len(labels)} labels")
        # each row is the red plane, then green, then blue, 32 x 32 each: CHW -> HWC
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels

    def _load_meta(self) -> None:
        path = self._path(self.meta["filename"])
        meta = restricted_load(path)
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise ValueError(f"{path}: expected a dict with '{self.meta['key']}'")
        self.classes = [str(name) for name in meta[self.meta["key"]]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL RGB image and the class index."""
        return self._apply_transforms(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: like :class:`CIFAR10` with
    100 fine classes (the targets; ``classes`` are the fine label names). Files in
    ``root/cifar-100-python/`` (``train``, ``test``, ``meta``).
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    labels_key = "fine_labels"
