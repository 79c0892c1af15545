"""PyTorch's legacy (pre-1.6, ``_use_new_zipfile_serialization=False``) checkpoint format.

The file is a sequence of pickles followed by raw data::

    pickle(MAGIC_NUMBER)  pickle(1001)  pickle(sys_info)
    pickle(obj)           storages as persistent ids ('storage', torch.<Type>Storage, key,
                          location, numel, view_metadata)
    pickle([key, ...])    the storage keys, in the order their data follows
    for each key: int64 little-endian element count, then the storage's raw bytes
"""

from __future__ import annotations

import struct
import sys

import numpy as np

from ._tensors import Storage, StorageTable, TorchPickler
from ._unpickler import RestrictedUnpickler
from ._zip_format import _parse_pid, byteswap, storage_numpy_dtype

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_CHUNK = 1 << 26


class NotLegacy(Exception):
    """The file does not start with the legacy magic number."""


# ---- writing ----------------------------------------------------------------------------------

def write(obj, fh, protocol: int) -> None:
    import pickle

    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(header, fh, protocol=protocol)
    table = StorageTable(legacy=True)
    TorchPickler(fh, protocol, table).dump(obj)
    pickle.dump([e.key for e in table.entries], fh, protocol=protocol)
    for entry in table.entries:
        host = entry.host()
        fh.write(struct.pack("<q", host.size))
        fh.write(memoryview(host.view(np.uint8)))
        entry._host = None


# ---- reading ----------------------------------------------------------------------------------

def read(fh, name: str, end: int, restore, unpickle, all_cpu):
    """Load the object of the legacy checkpoint ``fh`` (positioned at its start).

    Args:
        restore: ``restore(host_array, location) -> Storage`` (applies map_location).
        unpickle: ``unpickle(file, persistent_load, end) -> object``.
        all_cpu: ``all_cpu(locations) -> bool``: whether restore keeps all of them on the CPU.
    """
    try:
        magic = _plain(fh, end)
    except Exception:  # any garbage: the caller reports "not a checkpoint"
        raise NotLegacy from None
    if type(magic) is not int or magic != MAGIC_NUMBER:
        raise NotLegacy
    try:
        protocol = _plain(fh, end)
        sys_info = _plain(fh, end)
    except EOFError:
        raise RuntimeError(f"{name}: truncated checkpoint (the file ends in its header)") from None
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"{name}: invalid legacy protocol version {protocol!r:.40}")
    swap = isinstance(sys_info, dict) and \
        bool(sys_info.get("little_endian", True)) != (sys.byteorder == "little")

    # The storages' data follows the object, so the object is first rebuilt over empty host
    # buffers, which are then filled in place; if map_location moves storages off the CPU, the
    # object is unpickled a second time over the restored storages.
    pending: dict = {}  # key -> (host array, location)

    def host_for(pid):
        stype, key, location, numel = _parse_pid(pid, name)
        if key not in pending:
            if numel * storage_numpy_dtype(stype).itemsize > end - fh.tell():
                raise RuntimeError(f"{name}: truncated checkpoint (storage {key} of {numel} "
                                   "elements does not fit in the rest of the file)")
            pending[key] = (np.empty(numel, storage_numpy_dtype(stype)), location)
        return pending[key]

    def first_pass(pid):
        from ..ops.creation import from_numpy

        return _narrow(Storage(from_numpy(host_for(pid)[0])), pid, name)

    start = fh.tell()
    result = _unpickle_main(unpickle, fh, first_pass, end, name)
    try:
        keys = _plain(fh, end)
    except EOFError:
        raise RuntimeError(f"{name}: truncated checkpoint (the file ends before the list of "
                           "storage keys)") from None
    if not isinstance(keys, list):
        raise RuntimeError(f"{name}: corrupted checkpoint: bad storage key list")
    for key in keys:
        if key not in pending:
            raise RuntimeError(f"{name}: corrupted checkpoint: data for unknown storage {key!r:.40}")
        _read_data(fh, pending[key][0], key, name)
        if swap:
            byteswap(pending[key][0])
    if all_cpu([loc for _, loc in pending.values()]):
        return result

    restored: dict = {}

    def second_pass(pid):
        key = _parse_pid(pid, name)[1]
        if key not in restored:
            restored[key] = restore(*pending[key])
        return _narrow(restored[key], pid, name)

    fh.seek(start)
    return _unpickle_main(unpickle, fh, second_pass, end, name)


def _unpickle_main(unpickle, fh, persistent_load, end, name):
    try:
        return unpickle(fh, persistent_load, end)
    except EOFError:
        raise RuntimeError(f"{name}: truncated checkpoint (the file ends inside the pickled "
                           "object)") from None


def _narrow(storage: Storage, pid, name) -> Storage:
    """Old files name a view of a storage: ``(view_key, offset, size)`` as 6th element."""
    view = pid[5] if len(pid) > 5 else None
    if view is None:
        return storage
    if not (isinstance(view, tuple) and len(view) == 3 and
            all(type(v) is int for v in view[1:])):
        raise RuntimeError(f"{name}: corrupted checkpoint: bad storage view {view!r:.60}")
    _, offset, size = view
    if offset < 0 or size < 0 or offset + size > storage.size():
        raise RuntimeError(f"{name}: corrupted checkpoint: storage view out of range")
    return Storage(storage._tensor[offset:offset + size])


def _plain(fh, end):
    """A pickle of plain data (no globals, no persistent ids)."""
    return RestrictedUnpickler(fh, allow_globals=False, end=end).load()


def _read_data(fh, host: np.ndarray, key, name) -> None:
    head = fh.read(8)
    if len(head) < 8:
        raise RuntimeError(f"{name}: truncated checkpoint (expected {host.nbytes} bytes of "
                           f"storage {key}, got 0)")
    count = struct.unpack("<q", head)[0]
    if count != host.size:
        raise RuntimeError(f"{name}: corrupted checkpoint: storage {key} has {count} elements in "
                           f"the data section but {host.size} in its id")
    buf = memoryview(host.view(np.uint8))
    done = 0
    while done < host.nbytes:
        got = fh.readinto(buf[done:done + _CHUNK])
        if not got:
            break
        done += got
    if done < host.nbytes:
        raise RuntimeError(f"{name}: truncated checkpoint (expected {host.nbytes} bytes of "
                           f"storage {key}, got {done})")
