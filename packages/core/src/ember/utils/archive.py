"""Safe extraction of downloaded archives (tar, zip, and single compressed files).

Dataset archives come from the network, so a member may try to escape the destination folder
(``../../etc/x``, ``/abs/path``, a symlink pointing outside, a device file). Every member is
checked before anything is written; a hostile archive raises ``ValueError`` naming the archive
and the member, and nothing of it is extracted.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import posixpath
import shutil
import tarfile
import zipfile
import zlib

_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz", ".txz")


def extract_archive(from_path: str | os.PathLike, to_path: str | os.PathLike | None = None,
                    remove_finished: bool = False) -> str:
    """Extract ``from_path`` into ``to_path`` (default: the archive's folder).

    Returns the folder extracted into, or for a single compressed file (``x.csv.gz``) the path
    of the decompressed file, like torchvision's ``extract_archive``.

    Raises:
        ValueError: a member would land outside ``to_path``, or is a device/FIFO, or the file
            is not an archive this function knows.
    """
    from_path = os.fspath(from_path)
    to_path = os.fspath(to_path) if to_path is not None else os.path.dirname(from_path)
    os.makedirs(to_path, exist_ok=True)
    name = from_path.lower()
    if name.endswith(_TAR_SUFFIXES):
        result = _extract_tar(from_path, to_path)
    elif name.endswith(".zip"):
        result = _extract_zip(from_path, to_path)
    elif name.endswith(tuple(_COMPRESSED)):
        result = _decompress(from_path, to_path)
    elif zipfile.is_zipfile(from_path):  # no telling suffix: look at the content
        result = _extract_zip(from_path, to_path)
    elif tarfile.is_tarfile(from_path):
        result = _extract_tar(from_path, to_path)
    else:
        raise ValueError(f"{from_path}: not a tar, zip, gz, bz2 or xz archive")
    if remove_finished:
        os.remove(from_path)
    return result


def _check_member(archive: str, member: str, to_path: str) -> None:
    """``member`` (a relative path inside the archive) must stay inside ``to_path``."""
    normalized = posixpath.normpath(member.replace("\\", "/"))
    if (posixpath.isabs(normalized) or normalized == ".." or normalized.startswith("../")
            or os.path.splitdrive(member)[0]):
        raise ValueError(f"{archive}: member {member!r} would be extracted outside {to_path}")


def _extract_tar(archive: str, to_path: str) -> str:
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for m in members:
                _check_member(archive, m.name, to_path)
                if m.isdev() or m.isfifo():
                    raise ValueError(f"{archive}: member {m.name!r} is a device or FIFO")
                if m.issym() or m.islnk():
                    # a link target is relative to the link's folder (hard links: to the root)
                    base = posixpath.dirname(m.name) if m.issym() else ""
                    _check_member(archive, posixpath.join(base, m.linkname), to_path)
            # every member is checked above; Python >= 3.11.4 asks which filter to apply
            trusted = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
            tar.extractall(to_path, members=members, **trusted)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as err:
        raise ValueError(f"{archive}: corrupt tar archive ({err})") from err
    return to_path


def _extract_zip(archive: str, to_path: str) -> str:
    try:
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                _check_member(archive, name, to_path)
            z.extractall(to_path)
    except zipfile.BadZipFile as err:
        raise ValueError(f"{archive}: corrupt zip archive ({err})") from err
    return to_path


def _decompress(archive: str, to_path: str) -> str:
    stem, suffix = os.path.splitext(os.path.basename(archive))
    out = os.path.join(to_path, stem)
    try:
        with _COMPRESSED[suffix.lower()](archive, "rb") as src, open(out + ".partial", "wb") as dst:
            shutil.copyfileobj(src, dst)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as err:
        raise ValueError(f"{archive}: corrupt {suffix} file ({err})") from err
    os.replace(out + ".partial", out)
    return out


__all__ = ["extract_archive"]
