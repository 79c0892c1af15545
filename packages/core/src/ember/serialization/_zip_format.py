"""PyTorch's zip checkpoint format (``torch.save``'s default since 1.6), read and written.

Layout, as torch 2.x writes it (``<archive>`` is the file name without extension, or
``archive`` for a buffer; readers take it from the records)::

    <archive>/data.pkl                  the object, pickled (protocol 2), storages as persistent ids
    <archive>/.format_version           b"1"
    <archive>/.storage_alignment        b"64"
    <archive>/byteorder                 b"little"
    <archive>/data/<key>                one record per storage: its raw bytes
    <archive>/version                   b"3\\n"
    <archive>/.data/serialization_id    40 decimal digits

Records are stored (not compressed) and each record's data starts at a multiple of 64 bytes
(padding in a ``FB`` extra field of the local header, as PyTorch's writer does).
"""

from __future__ import annotations

import io
import secrets
import struct
import sys
import zipfile

import numpy as np

from ._tensors import StorageTable, StorageType, TorchPickler

MAGIC = b"PK\x03\x04"
_ALIGNMENT = 64
_CHUNK = 1 << 26  # bytes read at a time into a storage's buffer


# ---- writing ----------------------------------------------------------------------------------

def write(obj, fh, archive: str, protocol: int) -> None:
    """Write ``obj`` to binary file ``fh`` in torch's zip layout."""
    table = StorageTable(legacy=False)
    pkl = io.BytesIO()
    TorchPickler(pkl, protocol, table).dump(obj)
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        _record(zf, f"{archive}/data.pkl", pkl.getbuffer())
        _record(zf, f"{archive}/.format_version", b"1")
        _record(zf, f"{archive}/.storage_alignment", str(_ALIGNMENT).encode())
        _record(zf, f"{archive}/byteorder", sys.byteorder.encode())
        for entry in table.entries:
            _record(zf, f"{archive}/data/{entry.key}", entry.host().view(np.uint8))
            entry._host = None  # written: a device storage's host copy can go
        _record(zf, f"{archive}/version", b"3\n")
        _record(zf, f"{archive}/.data/serialization_id",
                f"{secrets.randbits(128):040d}".encode())


def _record(zf: zipfile.ZipFile, name: str, data) -> None:
    """One stored record whose data starts at a multiple of ``_ALIGNMENT`` in the file."""
    size = memoryview(data).nbytes
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    zip64 = size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile then adds a 20-byte zip64 extra field
    header = 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    pad = -(zf.start_dir + header) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


# ---- reading ----------------------------------------------------------------------------------

def read(fh, name: str, restore, unpickle):
    """Load the object of the zip checkpoint ``fh``.

    Args:
        restore: ``restore(host_array, location) -> Storage`` (applies map_location).
        unpickle: ``unpickle(file, persistent_load, end) -> object`` (restricted or full).
    """
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"{name}: truncated or corrupted zip checkpoint: {e} (the zip central "
                           "directory at the end of the file is missing or damaged; was the file "
                           "completely written?)") from None
    with zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1 and
               n.split("/")[1] == "data.pkl"]
        if not pkl:
            raise RuntimeError(f"{name}: zip archive without a <archive>/data.pkl record: not a "
                               "PyTorch or ember checkpoint (a TorchScript archive or another zip "
                               "file?)")
        prefix = pkl[0][: -len("data.pkl")]
        byteorder = "little"
        if prefix + "byteorder" in names:
            byteorder = _read_record(zf, prefix + "byteorder", name).decode("ascii", "replace")
            if byteorder not in ("little", "big"):
                raise RuntimeError(f"{name}: corrupted checkpoint: unknown byteorder {byteorder!r}")
        loaded: dict = {}

        def persistent_load(pid):
            stype, key, location, numel = _parse_pid(pid, name)
            storage = loaded.get(key)
            if storage is None:
                host = _read_storage(zf, f"{prefix}data/{key}", stype, numel, key, name)
                if byteorder != sys.byteorder:
                    byteswap(host)
                storage = loaded[key] = restore(host, location)
            return storage

        data = _read_record(zf, pkl[0], name)
        try:
            return unpickle(io.BytesIO(data), persistent_load, len(data))
        except EOFError:
            raise RuntimeError(f"{name}: corrupted checkpoint: {pkl[0]} ends early") from None


def _parse_pid(pid, name):
    """``('storage', torch.<Type>Storage, key, location, numel)`` → its parts, checked."""
    if len(pid) < 5:
        raise RuntimeError(f"{name}: corrupted checkpoint: bad storage id {pid!r:.80}")
    _, stype, key, location, numel = pid[:5]
    key, location = _text(key), _text(location)
    if not isinstance(stype, StorageType) or not isinstance(key, str) or \
            not isinstance(location, str) or type(numel) is not int or numel < 0:
        raise RuntimeError(f"{name}: corrupted checkpoint: bad storage id {pid!r:.80}")
    return stype, key, location, numel


def _text(value):
    return value.decode("ascii") if isinstance(value, bytes) else value


def storage_numpy_dtype(stype: StorageType) -> np.dtype:
    return np.dtype(np.uint8) if stype.dtype is None else stype.dtype.np


def _read_record(zf: zipfile.ZipFile, record: str, name: str) -> bytes:
    try:
        return zf.read(record)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"{name}: corrupted or truncated checkpoint: record {record}: "
                           f"{e}") from None


def _read_storage(zf, record, stype, numel, key, name) -> np.ndarray:
    try:
        info = zf.getinfo(record)
    except KeyError:
        raise RuntimeError(f"{name}: corrupted checkpoint: the record {record} of storage {key} "
                           "is missing") from None
    dt = storage_numpy_dtype(stype)
    nbytes = numel * dt.itemsize
    if info.file_size != nbytes:
        what = "truncated" if info.file_size < nbytes else "corrupted"
        raise RuntimeError(f"{name}: {what} checkpoint (expected {nbytes} bytes of storage {key}, "
                           f"got {info.file_size})")
    host = np.empty(numel, dt)
    buf = memoryview(host.view(np.uint8))
    done = 0
    try:
        with zf.open(info) as src:
            while done < nbytes:
                chunk = src.read(min(_CHUNK, nbytes - done))
                if not chunk:
                    break
                buf[done:done + len(chunk)] = chunk
                done += len(chunk)
            src.read(1)  # reaching the end makes zipfile check the CRC
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"{name}: corrupted or truncated checkpoint: storage {key}: "
                           f"{e}") from None
    if done < nbytes:
        raise RuntimeError(f"{name}: truncated checkpoint (expected {nbytes} bytes of storage "
                           f"{key}, got {done})")
    return host


def byteswap(host: np.ndarray) -> None:
    """Swap the bytes of each element in place (of each part, for complex numbers)."""
    part = host.dtype.itemsize // 2 if host.dtype.kind == "c" else host.dtype.itemsize
    if part > 1:
        raw = host.view(f"u{part}")
        raw.byteswap(inplace=True)
