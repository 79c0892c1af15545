"""SVHN (Street View House Numbers), cropped digits, from its MATLAB ``.mat`` files (needs SciPy)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ember_vision.datasets.utils import (
    check_integrity,
    dataset_not_found,
    download_url,
    verify_str_arg,
)
from ember_vision.datasets.vision import VisionDataset

__all__ = ["SVHN"]


def _loadmat(path: str) -> dict:
    try:
        import scipy.io
    except ImportError as error:
        raise ImportError("SVHN's .mat files are read with SciPy: pip install scipy "
                          "(or ember-vision[scipy])") from error
    return scipy.io.loadmat(path)


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_ cropped digits, 32 x 32 RGB.

    The label 10 of the files (digit 0) becomes 0, so that targets are in [0, 9] (like
    torchvision). Reading the ``.mat`` files needs SciPy.

    Args:
        root (str or ``pathlib.Path``): the folder holding ``train_32x32.mat``,
            ``test_32x32.mat`` / ``extra_32x32.mat`` (directly, no sub-folder).
        split (str, optional): ``"train"`` (default), ``"test"`` or ``"extra"``.
        transform (callable, optional): applied to the PIL image (mode ``"RGB"``).
        target_transform (callable, optional): applied to the target (an ``int``).
        download (bool, optional): download the split's file into ``root`` first.

    Attributes:
        data (np.ndarray): uint8 images, shape (N, 3, 32, 32).
        labels (np.ndarray): int64 digits, shape (N,).
    """

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root: str | Path, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        if not self._check_integrity():
            raise dataset_not_found([path])
        self.data, self.labels = self._load(path)

    @staticmethod
    def _load(path: str) -> tuple[np.ndarray, np.ndarray]:
        mat = _loadmat(path)
        if "X" not in mat or "y" not in mat:
            found = sorted(k for k in mat if not k.startswith("__"))
            raise ValueError(f"{path}: expected variables 'X' and 'y', found {found}")
        images, labels = mat["X"], mat["y"]
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[2] != 3:
            raise ValueError(f"{path}: 'X' should be uint8 of shape (32, 32, 3, N), got "
                             f"{images.dtype} {images.shape}")
        labels = labels.astype(np.int64).reshape(-1)
        if len(labels) != images.shape[3]:
            raise ValueError(f"{path}: {images.shape[3]} images but {len(labels)} labels")
        labels[labels == 10] = 0  # the files label the digit 0 as 10
        # (H, W, C, N) -> (N, C, H, W), the layout torchvision keeps in .data
        return np.transpose(images, (3, 2, 0, 1)), labels

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL RGB image and the digit."""
        image = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        return self._apply_transforms(image, int(self.labels[index]))

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def download(self) -> None:
        download_url(self.url, self.root, self.filename, self.file_md5)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
