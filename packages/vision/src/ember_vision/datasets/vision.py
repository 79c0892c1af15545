"""The base class of every dataset here: ``root``, ``transform``/``target_transform``, and a repr."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ember.utils.data import Dataset


class VisionDataset(Dataset):
    """Base class for the datasets of ``ember_vision.datasets`` (like torchvision's).

    Args:
        root (str or ``pathlib.Path``, optional): the dataset's root folder (``~`` is expanded).
        transforms (callable, optional): a function of ``(input, target)`` that returns the
            transformed pair. Cannot be combined with ``transform`` / ``target_transform``.
        transform (callable, optional): a function of the input (a PIL image for the image
            datasets), e.g. ``transforms.ToTensor()``.
        target_transform (callable, optional): a function of the target.
    """

    _repr_indent = 4

    def __init__(self, root: str | Path | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        if isinstance(root, (str, Path)):
            root = os.path.expanduser(root)
        self.root = root
        has_separate_transform = transform is not None or target_transform is not None
        if transforms is not None and has_separate_transform:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate_transform:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def _apply_transforms(self, sample: Any, target: Any) -> tuple[Any, Any]:
        """``(transform(sample), target_transform(target))`` or ``transforms(sample, target)``."""
        if self.transforms is not None:
            return self.transforms(sample, target)
        return sample, target

    def __repr__(self) -> str:
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body += [repr(self.transforms)]
        lines = [f"Dataset {type(self).__name__}"] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)

    def extra_repr(self) -> str:
        return ""


class StandardTransform:
    """Applies ``transform`` to the input and ``target_transform`` to the target."""

    def __init__(self, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    @staticmethod
    def _format(transform: Callable, head: str) -> list[str]:
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)
