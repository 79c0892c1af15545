"""MNIST and its relatives (Fashion-MNIST, KMNIST, EMNIST, QMNIST): IDX files under ``root/<Class>/raw``.

The layout is torchvision's: ``root/FashionMNIST/raw/train-images-idx3-ubyte`` etc. Each file may
also be present only in its published compressed form (``train-images-idx3-ubyte.gz``), as
Debian's ``dataset-fashion-mnist`` package ships it; linking or copying those files into
``raw/`` is enough. ``download=True`` fetches the published files from torchvision's mirrors,
checks their MD5 and decompresses them next to the archives.
"""

from __future__ import annotations

import os
import shutil
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import ember
import ember.hub
from ember_vision.datasets.idx_format import read_idx, read_image_file, read_label_file
from ember_vision.datasets.utils import (
    dataset_not_found,
    download_and_extract_archive,
    extract_archive,
    verify_str_arg,
)
from ember_vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST"]

_COMPRESSED_SUFFIXES = (".gz", ".xz")


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ handwritten digits: 60,000 training and
    10,000 test images, 28 x 28 grayscale.

    Args:
        root (str or ``pathlib.Path``): root folder; the files live in ``root/MNIST/raw/``
            (``train-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, ... or their ``.gz``).
        train (bool, optional): the training set (default) or the test set.
        transform (callable, optional): applied to the PIL image (mode ``"L"``), e.g.
            ``transforms.ToTensor()``.
        target_transform (callable, optional): applied to the target (an ``int``).
        download (bool, optional): download the files into ``root/MNIST/raw`` first, unless they
            are already there. Without network the error says where to put them by hand.

    Attributes:
        data (Tensor): uint8 images, shape (N, 28, 28).
        targets (Tensor): int64 class indices, shape (N,).
        classes (list[str]): the class names.

    Examples::

        >>> from ember_vision import datasets, transforms
        >>> train = datasets.MNIST("data", train=True, transform=transforms.ToTensor())
        >>> image, label = train[0]          # float32 (1, 28, 28) in [0, 1], int
    """

    mirrors = [
        "http://yann.lecun.com/exdb/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | Path, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_exists():
            raise dataset_not_found(self._expected_files())
        self.data, self.targets = self._load_data()

    # ---- where the files are ----------------------------------------------------------------

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _split_files(self) -> list[str]:
        """The decompressed names of the (images, labels) files of this split."""
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _find(self, name: str) -> str | None:
        """``raw/name``, else its compressed form ``raw/name.gz`` (or ``.xz``), else None."""
        for candidate in [name] + [name + s for s in _COMPRESSED_SUFFIXES]:
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name in self._split_files())

    def _expected_files(self) -> list[str]:
        return [os.path.join(self.raw_folder, name) for name in self._split_files()]

    # ---- loading ------------------------------------------------------------------------------

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        images, labels = (self._find(name) for name in self._split_files())
        data, targets = read_image_file(images), read_label_file(labels)
        if len(data) != len(targets):
            raise ValueError(f"{images} holds {len(data)} images but {labels} holds "
                             f"{len(targets)} labels")
        return data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(image, target)``: a PIL image of mode ``"L"`` and the class index."""
        image = Image.fromarray(self.data.numpy()[index], mode="L")
        return self._apply_transforms(image, int(self.targets.numpy()[index]))

    def __len__(self) -> int:
        return len(self.data)

    # ---- download -----------------------------------------------------------------------------

    def download(self) -> None:
        """Download and decompress the files of both splits that are not there yet."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(os.path.splitext(filename)[0]) is None:
                self._download_from_mirrors(filename, md5)

    def _download_from_mirrors(self, filename: str, md5: str) -> None:
        errors = []
        for mirror in self.mirrors:
            try:
                download_and_extract_archive(mirror + filename, self.raw_folder,
                                             filename=filename, md5=md5)
                return
            except (ember.hub.DownloadError, OSError) as error:
                errors.append(f"{mirror + filename}: {error}")
        tried = "\n  ".join(errors)
        raise RuntimeError(f"Error downloading {filename}; tried:\n  {tried}\nPut the file "
                           f"by hand at {os.path.join(self.raw_folder, filename)} (MD5 {md5}).")

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: Zalando's article
    images, 60,000 training and 10,000 test images, 28 x 28 grayscale, 10 classes.

    Same arguments and attributes as :class:`MNIST`; files in ``root/FashionMNIST/raw/``.
    Debian's ``dataset-fashion-mnist`` package installs the original files in
    ``/usr/share/datasets/fashion-mnist``: symlink or copy them there.

    Examples::

        >>> import os
        >>> os.makedirs("data/FashionMNIST", exist_ok=True)
        >>> os.symlink("/usr/share/datasets/fashion-mnist", "data/FashionMNIST/raw")
        >>> test = FashionMNIST("data", train=False)
        >>> test[0][0].size, test.classes[test[0][1]]
        ((28, 28), 'Ankle boot')
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: cursive Japanese characters,
    28 x 28 grayscale, 10 classes. Same arguments as :class:`MNIST`; files in ``root/KMNIST/raw/``.
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """`EMNIST <https://www.westernsydney.edu.au/bens/home/reproducible_research/emnist>`_:
    handwritten letters and digits in MNIST's format.

    Args:
        root (str or ``pathlib.Path``): files in ``root/EMNIST/raw/``
            (``emnist-<split>-train-images-idx3-ubyte`` ...).
        split (str): one of ``byclass``, ``bymerge``, ``balanced``, ``letters``, ``digits``,
            ``mnist``.
        **kwargs: ``train``, ``transform``, ``target_transform``, ``download`` as for
            :class:`MNIST`. Like torchvision, the images are returned as stored (transposed
            relative to MNIST's orientation).
    """

    url = "https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # merged classes: upper and lower case look alike
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | Path, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    def _split_files(self) -> list[str]:
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def download(self) -> None:
        """Download ``gzip.zip`` (all splits) and decompress its IDX files into ``raw/``."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, self.raw_folder, md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in os.listdir(gzip_folder):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_: MNIST's test set rebuilt from
    NIST (60,000 test digits) with extended labels.

    Args:
        root (str or ``pathlib.Path``): files in ``root/QMNIST/raw/``.
        what (str, optional): ``train``, ``test`` (60k), ``test10k`` (the 10k that match
            MNIST's test set), ``test50k`` or ``nist``; default from ``train``.
        compat (bool, optional): targets are class indices (``int``) when True (default), else
            the 8-column int64 label rows of the files.
        train (bool, optional): picks ``train``/``test`` when ``what`` is not given.
        **kwargs: ``transform``, ``target_transform``, ``download`` as for :class:`MNIST`.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    _base = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources = {
        "train": [(_base + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                  (_base + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_base + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                 (_base + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_base + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_base + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }

    def __init__(self, root: str | Path, what: str | None = None, compat: bool = True,
                 train: bool = True, **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets))
        self.compat = compat
        super().__init__(root, train, **kwargs)

    def _split_files(self) -> list[str]:
        return [os.path.splitext(os.path.basename(url))[0]
                for url, _ in self.resources[self.subsets[self.what]]]

    def _load_data(self) -> tuple[ember.Tensor, ember.Tensor]:
        images_path, labels_path = (self._find(name) for name in self._split_files())
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError(f"{images_path}: expected uint8 images of shape (N, H, W), got "
                             f"{images.dtype} {images.shape}")
        if labels.ndim != 2 or len(labels) != len(images):
            raise ValueError(f"{labels_path}: expected a ({len(images)}, K) label table, got "
                             f"shape {labels.shape}")
        part = {"test10k": slice(0, 10000), "test50k": slice(10000, None)}.get(self.what)
        if part is not None:
            images, labels = images[part], labels[part]
        return (ember.from_numpy(np.ascontiguousarray(images)),
                ember.from_numpy(labels.astype(np.int64)))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = Image.fromarray(self.data.numpy()[index], mode="L")
        row = self.targets[index]
        target = int(row[0]) if self.compat else row
        return self._apply_transforms(image, target)

    def download(self) -> None:
        """Download this subset's two files (only those of ``what``)."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            download_and_extract_archive(url, self.raw_folder, md5=md5)

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
