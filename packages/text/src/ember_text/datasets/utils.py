"""Download and extraction helpers shared by the datasets, on ember's hub helpers
(``ember.hub.download_url_to_file``: resumable, verified, tqdm progress;
``ember.utils.archive.extract_archive``: refuses members that would land outside the
target folder)."""

from __future__ import annotations

import functools
import os

import ember.hub
from ember.utils.archive import extract_archive

__all__ = ["default_root", "check_integrity", "download_from_url", "download_and_extract",
           "wrap_split_argument"]


def default_root() -> str:
    """``$EMBER_HOME/text`` (``~/.cache/ember/text`` by default), beside the hub cache."""
    return os.path.join(os.path.dirname(ember.hub.get_dir()), "text")


def check_integrity(path: str, hash_value: str | None = None, hash_type: str = "md5") -> bool:
    """True when ``path`` exists and (if given) its ``hash_type`` digest is ``hash_value``."""
    if not os.path.isfile(path):
        return False
    if hash_value is None:
        return True
    return ember.hub.file_digest(path, hash_type) == hash_value


def download_from_url(url: str, root: str, filename: str, hash_value: str | None = None,
                      hash_type: str = "md5", progress: bool = True) -> str:
    """Download ``url`` to ``root/filename`` unless a file with the right hash is there.

    Raises:
        RuntimeError: the downloaded file's hash differs (the file is deleted).
        ember.hub.DownloadError: the URL is unreachable (the message says where to put the
            file by hand).
    """
    if hash_type not in ("md5", "sha256"):
        raise ValueError(f"hash_type must be 'md5' or 'sha256', got {hash_type!r}")
    path = os.path.join(root, filename)
    if check_integrity(path, hash_value, hash_type):
        return path
    os.makedirs(root, exist_ok=True)
    ember.hub.download_url_to_file(url, path, progress=progress, **{hash_type: hash_value})
    return path


def download_and_extract(url: str, root: str, filename: str, hash_value: str | None,
                         hash_type: str, extracted: str) -> str:
    """Download an archive and extract it into ``root`` unless ``root/extracted`` (a file or
    folder the archive holds) already exists; returns ``root/extracted``."""
    target = os.path.join(root, extracted)
    if os.path.exists(target):
        return target
    archive = download_from_url(url, root, filename, hash_value, hash_type)
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
