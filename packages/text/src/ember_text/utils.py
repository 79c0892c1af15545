"""Download helpers with ``torchtext.utils``' names, on ember's hub
(``ember.hub.download_url_to_file``: resumable, verified, tqdm progress)."""

from __future__ import annotations

import os
import urllib.parse

import ember.hub

__all__ = ["check_integrity", "download_from_url"]


def check_integrity(path: str, hash_value: str | None = None, hash_type: str = "sha256") -> bool:
    """True when ``path`` exists and (if given) its ``hash_type`` digest is ``hash_value``."""
    if not os.path.isfile(path):
        return False
    if hash_value is None:
        return True
    return ember.hub.file_digest(path, hash_type) == hash_value


def download_from_url(url: str, path: str | None = None, root: str = ".data",
                      overwrite: bool = False, hash_value: str | None = None,
                      hash_type: str = "sha256", progress: bool = True) -> str:
    """Download ``url`` to ``path`` (default ``root/<the URL's file name>``) and return the path.

    A file already there is kept when its hash matches (or when no hash is given), unless
    ``overwrite``.

    Raises:
        RuntimeError: the downloaded file's hash differs (the file is deleted).
        ember.hub.DownloadError: the URL is unreachable (the message says where to put the
            file by hand).
    """
    if hash_type not in ("md5", "sha256"):
        raise ValueError(f"hash_type must be 'md5' or 'sha256', got {hash_type!r}")
    if path is None:
        path = os.path.join(root, os.path.basename(urllib.parse.urlparse(url).path))
    if not overwrite and check_integrity(path, hash_value, hash_type):
        return path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    ember.hub.download_url_to_file(url, path, progress=progress, **{hash_type: hash_value})
    return path
