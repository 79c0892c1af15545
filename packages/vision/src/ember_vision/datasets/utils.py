"""torchvision's download and integrity helpers (``torchvision.datasets.utils``), on ember's hub.

The work is done by the core: ``ember.hub.download_url_to_file`` (resumable HTTP download with a
progress bar, checksum check, atomic rename, a clear error when the network is unreachable) and
``ember.utils.archive.extract_archive`` (tar/zip/gz/bz2/xz, refusing members that would land
outside the target folder). This module gives them torchvision's names and signatures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import ember.hub
from ember.utils.archive import extract_archive as _extract_archive

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive", "verify_str_arg"]


def calculate_md5(fpath: str | Path, chunk_size: int = 1024 * 1024) -> str:
    """The hex MD5 digest of a file (``chunk_size``: torchvision's argument; ember.hub reads in
    1 MiB chunks)."""
    return ember.hub.file_digest(fpath, "md5")


def check_md5(fpath: str | Path, md5: str, **kwargs) -> bool:
    """Whether the file's MD5 digest is ``md5``."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str | Path, md5: str | None = None) -> bool:
    """Whether ``fpath`` is a file and, when ``md5`` is given, has that MD5 digest."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def download_url(url: str, root: str | Path, filename: str | None = None, md5: str | None = None,
                 max_redirect_hops: int = 3) -> None:
    """Download ``url`` to ``root/filename`` unless a file with the right MD5 is already there.

    Args:
        url (str): an ``http(s)://`` or ``file://`` URL.
        root (str or ``pathlib.Path``): the folder to put the file in (created if needed).
        filename (str, optional): the file's name; default: the URL's last path component.
        md5 (str, optional): the expected MD5 digest; a mismatch raises ``RuntimeError`` and
            deletes the bad file.
        max_redirect_hops (int, optional): accepted for torchvision compatibility; redirects are
            followed by ``urllib``.

    An interrupted download leaves ``<file>.partial`` behind and the next call resumes it. An
    unreachable network raises ``ember.hub.DownloadError`` (a ``RuntimeError``) that names the
    URL and the path where the file can be put by hand.
    """
    root = os.path.expanduser(root)
    fpath = os.path.join(root, filename or os.path.basename(url))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    ember.hub.download_url_to_file(url, fpath, progress=True, md5=md5)
    if not check_integrity(fpath, md5):
        raise RuntimeError(f"File not found or corrupted: {fpath}")


def extract_archive(from_path: str | Path, to_path: str | Path | None = None,
                    remove_finished: bool = False) -> str:
    """Extract a tar/zip archive or decompress a single ``.gz``/``.bz2``/``.xz`` file.

    Members that would land outside ``to_path`` (absolute paths, ``..``, links pointing
    outside, device files) raise ``ValueError`` naming the archive and the member.

    Returns:
        str: the folder the archive was extracted to (for a single compressed file: the path
        of the decompressed file).
    """
    return _extract_archive(from_path, to_path, remove_finished)


def download_and_extract_archive(url: str, download_root: str | Path,
                                 extract_root: str | Path | None = None,
                                 filename: str | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """``download_url`` then ``extract_archive`` (into ``extract_root``, default ``download_root``)."""
    download_root = os.path.expanduser(download_root)
    extract_root = download_root if extract_root is None else extract_root
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def verify_str_arg(value: str, arg: str | None = None, valid_values: Iterable[str] | None = None,
                   custom_msg: str | None = None) -> str:
    """``value`` when it is a str among ``valid_values``, else ``ValueError`` saying which are."""
    if not isinstance(value, str):
        what = "" if arg is None else f"for argument {arg} "
        raise ValueError(f"Expected type str {what}but got type {type(value).__name__}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    valid = ", ".join(f"'{v}'" for v in valid_values)
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{valid}}}.")


def dataset_not_found(files: Iterable[str | Path]) -> RuntimeError:
    """The error a dataset raises when its files are missing: torchvision's message, plus where
    each file is expected so that it can be put there by hand (e.g. without network)."""
    listing = "\n  ".join(str(f) for f in files)
    return RuntimeError("Dataset not found or corrupted. You can use download=True to download it, "
                        f"or put these files there by hand:\n  {listing}")
