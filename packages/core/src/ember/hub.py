"""``ember.hub``: download files into a local cache, checked and resumable (like ``torch.hub``).

Datasets and pretrained weights of the domain packages all come through
:func:`download_url_to_file`, so every download in ember

* writes ``dst + ".partial"`` first and renames it only once complete and verified (a crash
  never leaves a file that looks finished);
* resumes an interrupted ``.partial`` file with an HTTP ``Range`` request;
* verifies the MD5 / SHA-256 (or SHA-256 prefix, torch.hub's convention) and deletes a file that
  does not match;
* tries ``$EMBER_HUB_MIRROR`` (a folder or a URL prefix holding files under their published
  names) before the published URL, for machines without internet;
* fails with :class:`DownloadError`, which says where to put the file by hand, when the network
  is unreachable.

The cache lives in ``$EMBER_HOME/hub`` (``EMBER_HOME`` defaults to ``~/.cache/ember``).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request

ENV_HOME = "EMBER_HOME"
ENV_MIRROR = "EMBER_HUB_MIRROR"
_CHUNK = 1 << 20
# torch.hub's convention: "resnet18-f37072fd.pth" carries the first hex digits of its SHA-256.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir: str | None = None


class DownloadError(RuntimeError):
    """A file could not be downloaded (network unreachable, HTTP error)."""


def get_dir() -> str:
    """The hub cache folder: ``set_dir``'s value, else ``$EMBER_HOME/hub``."""
    if _hub_dir is not None:
        return _hub_dir
    default_home = os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "ember")
    return os.path.join(os.path.expanduser(os.getenv(ENV_HOME, default_home)), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub cache folder for the rest of the process."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str | os.PathLike, hash_prefix: str | None = None,
                         progress: bool = True, *, md5: str | None = None,
                         sha256: str | None = None, timeout: float = 30.0) -> None:
    """Download ``url`` (http, https or file) to ``dst``, resuming and verifying it.

    Args:
        url: the published address of the file.
        dst: where the file ends up; the folder is created.
        hash_prefix: the SHA-256 of the file must start with it (torch.hub's convention).
        progress: show a tqdm progress bar (when tqdm is installed).
        md5, sha256: full hex digests the file must have.
        timeout: seconds to wait for the server before giving up.

    Raises:
        DownloadError: the file could not be fetched from the mirror nor from ``url``.
        RuntimeError: the downloaded file does not have the expected checksum (it is deleted).
    """
    dst = os.path.expanduser(os.fspath(dst))
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    partial = dst + ".partial"
    sources = [*_mirror_urls(url), url]
    for i, source in enumerate(sources):
        try:
            _fetch(source, partial, progress, timeout)
            break
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            if i + 1 < len(sources):
                continue  # the mirror lacks it: try the published URL
            raise DownloadError(
                f"could not download {url}: {_reason(err)}. Without network access, download it "
                f"on another machine and place it at {dst} (or put it in a folder named by "
                f"${ENV_MIRROR})") from err
    try:
        _verify(partial, url, hash_prefix=hash_prefix, md5=md5, sha256=sha256)
    except RuntimeError:
        os.remove(partial)  # a corrupt file must not be resumed next time
        raise
    os.replace(partial, dst)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = True) -> dict:
    """Download a checkpoint once into ``model_dir`` (default ``get_dir()/checkpoints``) and
    load it with :func:`ember.load`.

    With ``check_hash``, the file name must carry the start of the file's SHA-256
    (``name-<hex>.pth``) and the download is verified against it.
    """
    from ember.serialization import load

    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    file_name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(model_dir, file_name)
    if not os.path.exists(cached):
        match = HASH_REGEX.search(file_name) if check_hash else None
        download_url_to_file(url, cached, match.group(1) if match else None, progress=progress)
    return load(cached, map_location=map_location, weights_only=weights_only)


# --- helpers ----------------------------------------------------------------------------------

def _mirror_urls(url: str) -> list[str]:
    mirror = os.getenv(ENV_MIRROR)
    if not mirror:
        return []
    name = os.path.basename(urllib.parse.urlparse(url).path)
    if "://" not in mirror:
        mirror = "file://" + urllib.request.pathname2url(os.path.abspath(mirror))
    return [mirror.rstrip("/") + "/" + urllib.parse.quote(name)]


def _fetch(url: str, partial: str, progress: bool, timeout: float) -> None:
    """Append the rest of ``url`` to ``partial`` (starting it over when the server ignores the
    Range request)."""
    done = os.path.getsize(partial) if os.path.exists(partial) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "ember"})
    if done and not url.startswith("file:"):
        request.add_header("Range", f"bytes={done}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # nothing left to fetch: the partial file is complete
            return
        raise
    with response:
        resumed = getattr(response, "status", None) == 206
        if not resumed:
            done = 0
        size = response.headers.get("Content-Length")
        total = done + int(size) if size is not None else None
        with open(partial, "ab" if resumed else "wb") as out, \
                _progress_bar(total, done, url, progress) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
                done += len(chunk)
    if total is not None and done < total:  # the server hung up early: keep the part to resume
        raise OSError(f"the connection closed after {done} of {total} bytes")


def _verify(path: str, url: str, *, hash_prefix=None, md5=None, sha256=None) -> None:
    checks = [(name, expected) for name, expected in
              (("sha256", sha256), ("md5", md5), ("sha256", hash_prefix)) if expected]
    for algorithm, expected in checks:
        actual = file_digest(path, algorithm)
        if not actual.startswith(expected.lower()):
            raise RuntimeError(
                f"{os.path.basename(path)[:-len('.partial')]} downloaded from {url} is corrupt: "
                f"{algorithm} is {actual}, expected {expected}; the file was deleted")


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _reason(err: Exception) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    return str(getattr(err, "reason", err))


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _progress_bar(total, initial: int, url: str, enabled: bool):
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                desc=os.path.basename(urllib.parse.urlparse(url).path))


__all__ = ["DownloadError", "download_url_to_file", "file_digest", "get_dir",
           "load_state_dict_from_url", "set_dir", "HASH_REGEX"]
