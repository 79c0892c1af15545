"""STL-10 from its binary release (raw uint8 files, 96 x 96 RGB images stored column-major)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ember_vision.datasets.archive_files import ArchiveFilesMixin
from ember_vision.datasets.utils import verify_str_arg
from ember_vision.datasets.vision import VisionDataset

__all__ = ["STL10"]


class STL10(ArchiveFilesMixin, VisionDataset):
    """`STL-10 <https://cs.stanford.edu/~acoates/stl10/>`_: 96 x 96 RGB images, 10 classes,
    5,000 labelled training images, 8,000 test images and 100,000 unlabelled ones.

    Args:
        root (str or ``pathlib.Path``): root folder; files in ``root/stl10_binary/``.
        split (str, optional): ``"train"`` (default), ``"test"``, ``"unlabeled"`` or
            ``"train+unlabeled"``. Unlabelled images have target -1.
        folds (int, optional): one of the 10 predefined 1,000-image training folds (0-9) of
            ``fold_indices.txt``; None (default) loads the whole split.
        transform (callable, optional): applied to the PIL image (mode ``"RGB"``).
        target_transform (callable, optional): applied to the target (an ``int``).
        download (bool, optional): download and extract ``stl10_binary.tar.gz`` into ``root``.

    Attributes:
        data (np.ndarray): uint8 images, shape (N, 3, 96, 96).
        labels (np.ndarray): int64 class indices (-1 for unlabelled), shape (N,).
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [
        ["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
        ["train_y.bin", "5a34089d4802c674881badbb80307741"],
        ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"],
    ]
    test_list = [
        ["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
        ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"],
    ]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root: str | Path, split: str = "train", folds: int | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)
        self._check_or_download(download)
        self.data, self.labels = self._load_split()
        class_file = self._path(self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    @staticmethod
    def _verify_folds(folds: int | None) -> int | None:
        if folds is None:
            return None
        if isinstance(folds, int) and 0 <= folds < 10:
            return folds
        raise ValueError(f"Value for argument folds should be in the range [0, 10), but got {folds}.")

    def _files(self) -> list[list[str]]:
        return self.train_list + self.test_list

    def _load_split(self) -> tuple[np.ndarray, np.ndarray]:
        if self.split == "test":
            return self._load_files("test_X.bin", "test_y.bin")
        if self.split == "unlabeled":
            data, _ = self._load_files("unlabeled_X.bin")
            return data, np.full(len(data), -1, dtype=np.int64)
        data, labels = self._select_fold(*self._load_files("train_X.bin", "train_y.bin"))
        if self.split == "train+unlabeled":
            unlabeled, _ = self._load_files("unlabeled_X.bin")
            data = np.concatenate([data, unlabeled])
            labels = np.concatenate([labels, np.full(len(unlabeled), -1, dtype=np.int64)])
        return data, labels

    def _load_files(self, data_file: str, labels_file: str | None = None):
        """Images (N, 3, 96, 96) and 0-based labels (or None)."""
        path = self._path(data_file)
        raw = np.fromfile(path, dtype=np.uint8)
        if raw.size % (3 * 96 * 96):
            raise ValueError(f"{path}: {raw.size} bytes is not a whole number of 3x96x96 images")
        # each image is stored column-major (Fortran order): swap H and W back
        images = raw.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2)
        if labels_file is None:
            return images, None
        labels_path = self._path(labels_file)
        labels = np.fromfile(labels_path, dtype=np.uint8).astype(np.int64) - 1  # 1-based on disk
        if len(labels) != len(images):
            raise ValueError(f"{labels_path}: {len(labels)} labels for {len(images)} images in {path}")
        return images, labels

    def _select_fold(self, data: np.ndarray, labels: np.ndarray):
        if self.folds is None:
            return data, labels
        path = self._path(self.folds_list_file)
        with open(path) as f:
            line = f.read().splitlines()[self.folds]
        indices = np.array(line.split(), dtype=np.int64)
        return data[indices], labels[indices]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL RGB image and the class index (-1: unlabelled)."""
        image = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        return self._apply_transforms(image, int(self.labels[index]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
