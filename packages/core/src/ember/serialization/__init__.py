"""``ember.save`` / ``ember.load``: checkpoints in PyTorch's formats, read without PyTorch.

``ember.save`` writes PyTorch's zip format (``torch.load(path, weights_only=True)`` reads it);
``ember.load`` reads that format and PyTorch's legacy format. Loading is weights-only by default:
a restricted unpickler rebuilds tensors and plain data and refuses every other global, so a
checkpoint cannot run code (``add_safe_globals`` extends the allow-list). ``safetensors`` files:
``ember.serialization.safetensors``.
"""

from __future__ import annotations

import contextlib
import io
import os

from ._tensors import Storage
from ._unpickler import (
    WeightsUnpicklingError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "WeightsUnpicklingError", "Storage"]

DEFAULT_PROTOCOL = 2


def save(obj, f, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save ``obj`` (nested dicts/lists/tuples of tensors, Parameters, numbers, strings…) to ``f``.

    Tensors that share memory (views of one tensor) are saved once, and load as views again.

    Args:
        obj: what to save.
        f: a path (written atomically: to a temporary file in the same folder, flushed to disk,
            then renamed over ``f``, so an interrupted save leaves the old file intact) or a
            writable binary file object.
        pickle_protocol: the pickle protocol; PyTorch's weights-only loader reads only 2.
        _use_new_zipfile_serialization: False writes PyTorch's legacy format.
    """
    from . import _legacy_format, _zip_format

    def write(fh, archive):
        if _use_new_zipfile_serialization:
            _zip_format.write(obj, fh, archive, pickle_protocol)
        else:
            _legacy_format.write(obj, fh, pickle_protocol)

    if hasattr(f, "write"):
        write(f, "archive")
        return
    path = os.fspath(f)
    archive = os.path.splitext(os.path.basename(path))[0] or "archive"
    _atomic_write(path, lambda fh: write(fh, archive))


def _atomic_write(path: str, write) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    fd, tmp = _temp_file(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _temp_file(directory: str, base: str):
    """A new file next to the target; created with mode 0o666 so the umask applies as for any
    new file (``tempfile.mkstemp`` would make it 0o600)."""
    import secrets

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def load(f, map_location=None, *, weights_only: bool | None = True):
    """Load an object saved by ``ember.save`` or ``torch.save`` (zip or legacy format).

    Args:
        f: a path or a readable binary file object.
        map_location: where storages go: None (where they were saved), a device or device
            string, a dict ``{saved location: new location}``, or a callable
            ``(storage, location) -> Storage | None`` (None: the default placement).
        weights_only: True (default) rebuilds only tensors, containers and plain data and refuses
            every other global (``add_safe_globals`` extends the list). False runs Python's full
            unpickler, which can execute arbitrary code from the file: only for files you trust.

    Raises:
        WeightsUnpicklingError: the file asks for a global that is not allowed.
        RuntimeError: the file is truncated, corrupted, or not a checkpoint.
    """
    if weights_only is None:
        weights_only = True
    if hasattr(f, "read"):
        name = repr(getattr(f, "name", "<file object>"))
        fh = f if _seekable(f) else io.BytesIO(f.read())
        return _load(fh, name, map_location, weights_only)
    path = os.fspath(f)
    with open(path, "rb") as fh:
        return _load(fh, repr(path), map_location, weights_only)


def _seekable(f) -> bool:
    try:
        return f.seekable()
    except (AttributeError, OSError):
        return False


def _load(fh, name, map_location, weights_only):
    from . import _legacy_format, _zip_format

    start = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(start)
    restore = _Restore(name, map_location)
    unpickle = _restricted if weights_only else _full
    head = fh.read(4)
    fh.seek(start)
    try:
        if head == _zip_format.MAGIC:
            return _zip_format.read(fh, name, restore, unpickle)
        try:
            return _legacy_format.read(fh, name, end, restore, unpickle, restore.all_cpu)
        except _legacy_format.NotLegacy:
            raise RuntimeError(f"{name} is not a PyTorch or ember checkpoint (zip or legacy "
                               "format)") from None
    except WeightsUnpicklingError as e:
        raise WeightsUnpicklingError(f"Weights only load failed for {name}: {e}") from None


def _restricted(file, persistent_load, end):
    from ._unpickler import RestrictedUnpickler

    return RestrictedUnpickler(file, persistent_load, end=end).load()


def _full(file, persistent_load, end):
    from ._unpickler import FullUnpickler

    return FullUnpickler(file, persistent_load).load()


class _Restore:
    """Applies ``map_location``: a host array read from the file → a ``Storage`` on its device."""

    def __init__(self, name: str, map_location):
        self.name = name
        self.map_location = map_location

    def _is_callable(self) -> bool:
        from .._device import device

        ml = self.map_location
        return callable(ml) and not isinstance(ml, (str, dict, device))

    def target(self, location: str):
        ml = self.map_location
        if ml is None:
            return location
        if isinstance(ml, dict):
            return ml.get(location, location)
        return ml

    def all_cpu(self, locations) -> bool:
        from .._device import device

        if self._is_callable():
            return False
        return all(device(self.target(loc)).type == "cpu" for loc in locations)

    def __call__(self, host, location: str) -> Storage:
        from ..ops.creation import from_numpy

        storage = Storage(from_numpy(host))
        if self._is_callable():
            out = self.map_location(storage, location)
            if out is None:
                return self._move(storage, location, location)
            if not isinstance(out, Storage):
                raise TypeError(f"map_location must return a storage or None, got "
                                f"{type(out).__name__}")
            return out
        return self._move(storage, self.target(location), location)

    def _move(self, storage: Storage, target, location: str) -> Storage:
        from .._device import device

        dev = device(target)
        if dev.type == "cpu":
            return storage
        try:
            return storage.to(dev)
        except Exception as e:
            raise RuntimeError(f"{self.name}: cannot restore a storage saved on '{location}' to "
                               f"'{dev}' ({type(e).__name__}: {e}). On a machine without that "
                               "device, load with map_location='cpu'.") from e
