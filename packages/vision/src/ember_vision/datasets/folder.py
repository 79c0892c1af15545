"""Datasets from a folder tree with one sub-folder per class: DatasetFolder and ImageFolder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from ember_vision.datasets.vision import VisionDataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "pil_loader",
           "find_classes", "make_dataset", "has_file_allowed_extension", "is_image_file"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions``."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """Whether ``filename`` has one of the ``IMG_EXTENSIONS``."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: str | Path) -> tuple[list[str], dict[str, int]]:
    """The sorted class folder names in ``directory`` and their indices.

    Raises:
        FileNotFoundError: ``directory`` has no sub-folder.
    """
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory: str | Path, class_to_idx: dict[str, int] | None = None,
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """The ``(path, class_index)`` samples under ``directory/<class>/**``, sorted by class then path.

    Exactly one of ``extensions`` and ``is_valid_file`` selects the files. A class folder with
    no valid file raises ``FileNotFoundError`` unless ``allow_empty``.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances, found = [], set()
    for target_class in sorted(class_to_idx):
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[target_class]))
                    found.add(target_class)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            shown = extensions if isinstance(extensions, str) else ", ".join(extensions)
            message += f"Supported extensions are: {shown}"
        raise FileNotFoundError(message)
    return instances


def pil_loader(path: str) -> Image.Image:
    """Open an image file with Pillow and convert it to RGB."""
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path: str) -> Image.Image:
    """The loader of :class:`ImageFolder`: :func:`pil_loader`."""
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """A generic dataset of files arranged in one folder per class::

        root/class_x/xxx.ext
        root/class_x/nested/xxy.ext
        root/class_y/123.ext

    Args:
        root (str or ``pathlib.Path``): the root folder.
        loader (callable): loads a sample from its path.
        extensions (tuple[str], optional): the allowed file name endings (any, e.g.
            ``(".npy",)``); exclusive with ``is_valid_file``.
        transform (callable, optional): applied to the loaded sample.
        target_transform (callable, optional): applied to the class index.
        is_valid_file (callable, optional): takes a path, says whether it is a sample; exclusive
            with ``extensions``.
        allow_empty (bool, optional): allow class folders without any sample (default False).

    Attributes:
        classes (list[str]): the class names (sorted folder names).
        class_to_idx (dict[str, int]): class name -> index.
        samples (list[tuple[str, int]]): (path, class index) pairs.
        targets (list[int]): the class index of each sample.

    Override :meth:`find_classes` to choose the classes differently.
    """

    def __init__(self, root: str | Path, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                    allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [target for _, target in samples]

    @staticmethod
    def make_dataset(directory: str | Path, class_to_idx: dict[str, int],
                     extensions: tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        """The samples (see :func:`make_dataset`); ``class_to_idx`` is required here."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str | Path) -> tuple[list[str], dict[str, int]]:
        """The classes: by default the sorted sub-folder names (see :func:`find_classes`)."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """Returns ``(sample, target)``: the loaded file and its class index."""
        path, target = self.samples[index]
        return self._apply_transforms(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """A dataset of images arranged in one folder per class (``root/dog/xxx.png``, ...).

    Args:
        root (str or ``pathlib.Path``): the root folder.
        transform (callable, optional): applied to the PIL image (RGB with the default loader).
        target_transform (callable, optional): applied to the class index.
        loader (callable, optional): loads an image from its path (default: Pillow, RGB).
        is_valid_file (callable, optional): takes a path, says whether it is an image; when
            given, ``IMG_EXTENSIONS`` is not used.
        allow_empty (bool, optional): allow class folders without any image.

    Attributes:
        classes, class_to_idx, samples, targets: as for :class:`DatasetFolder`;
        imgs: the same list as ``samples``.

    Examples::

        >>> dataset = ImageFolder("photos", transform=transforms.ToTensor())
        >>> image, label = dataset[0]
    """

    def __init__(self, root: str | Path, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
