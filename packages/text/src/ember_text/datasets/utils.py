"""Helpers shared by the datasets: their default folder, download + safe extraction
(``ember.utils.archive.extract_archive`` refuses members that would land outside the target
folder) and the ``split`` argument."""

from __future__ import annotations

import functools
import os

import ember.hub
from ember.utils.archive import extract_archive
from ember_text.utils import download_from_url

__all__ = ["default_root", "download_and_extract", "wrap_split_argument"]


def default_root() -> str:
    """``$EMBER_HOME/text`` (``~/.cache/ember/text`` by default), beside the hub cache."""
    return os.path.join(os.path.dirname(ember.hub.get_dir()), "text")


def download_and_extract(url: str, root: str, filename: str, hash_value: str | None,
                         hash_type: str, extracted: str) -> str:
    """Download an archive and extract it into ``root`` unless ``root/extracted`` (a file or
    folder the archive holds) already exists; returns ``root/extracted``."""
    target = os.path.join(root, extracted)
    if os.path.exists(target):
        return target
    archive = download_from_url(url, os.path.join(root, filename), hash_value=hash_value,
                                hash_type=hash_type)
    extract_archive(archive, root)
    if not os.path.exists(target):
        raise RuntimeError(f"{archive} does not contain {extracted}: is it the right archive?")
    return target


def wrap_split_argument(splits: tuple[str, ...]):
    """Decorator for ``Dataset(root, split)`` builders: ``split`` may be one name (one dataset
    returned) or a tuple of names (a tuple of datasets); ``root`` gets the dataset's folder."""

    def decorator(build):
        @functools.wraps(build)
        def wrapper(root: str | None = None, split=splits, **kwargs):
            root = os.path.join(os.fspath(root) if root is not None else default_root(),
                                build.__name__)
            names = (split,) if isinstance(split, str) else tuple(split)
            for name in names:
                if name not in splits:
                    raise ValueError(f"{build.__name__}: unknown split {name!r}; expected one "
                                     f"of {splits}")
            datasets = tuple(build(root, name, **kwargs) for name in names)
            return datasets[0] if isinstance(split, str) else datasets

        return wrapper

    return decorator
