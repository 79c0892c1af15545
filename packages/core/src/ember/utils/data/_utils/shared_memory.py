"""Batches from worker processes to the main process through shared memory.

A worker ``pack``s a batch: it pickles the batch's structure while pulling every CPU tensor and
plain NumPy array out of it (pickle's ``persistent_id``), copies those arrays into ONE POSIX
shared-memory block, and sends only the small pickle plus the block's name and the arrays'
layout through the result queue. The main process ``unpack``s: it maps the block, unlinks its
name at once (so nothing is left in ``/dev/shm`` whatever happens next), and rebuilds the batch
with tensors that are zero-copy views of the mapping (``ember.from_numpy``). The memory is freed
when the last of those tensors is.

Only non-array leaves (Python objects, object/str-dtype arrays, tensors on other devices) travel
inside the pickle. Where POSIX shared memory is unavailable (Windows), the whole batch is pickled
through the queue instead.

Blocks are named ``<prefix>_<worker>_<seq>``, with a prefix unique to the ``DataLoader``
iterator, so that ``cleanup`` can remove the blocks of workers that died between creating a block
and handing it over.
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import secrets
import sys

import numpy as np

import ember

try:
    import _posixshmem
except ImportError:  # Windows: no POSIX shared memory
    _posixshmem = None

_ALIGN = 64  # each array starts on a cache line
_SHM_DIR = "/dev/shm"  # where Linux lists POSIX shared memory (used only to clean up)


def available() -> bool:
    return _posixshmem is not None


def new_prefix() -> str:
    # Short: macOS limits shared-memory names to 31 characters (this stays under 26).
    return f"emb{os.getpid()}x{secrets.token_hex(4)}"  # the pid tells concurrent runs apart


class Packed:
    """What travels through the queue: the pickled structure and where its arrays are."""

    __slots__ = ("payload", "name", "size", "leaves")

    def __init__(self, payload: bytes, name: str | None, size: int, leaves: list) -> None:
        self.payload = payload
        self.name = name
        self.size = size
        self.leaves = leaves  # (is_tensor, shape, dtype, offset, requires_grad)

    def __getstate__(self):
        return self.payload, self.name, self.size, self.leaves

    def __setstate__(self, state):
        self.payload, self.name, self.size, self.leaves = state


class _Packer(pickle.Pickler):
    """Pickles a batch, replacing shareable arrays by their index in ``self.arrays``."""

    def __init__(self, file) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays: list[tuple[np.ndarray, bool, bool]] = []  # (array, is_tensor, rg)
        self._seen: dict[int, int] = {}
        self._keep: list = []  # keeps ids unique while pickling

    def persistent_id(self, obj):
        kind = type(obj)
        if kind is ember.Tensor and obj.device.type == "cpu":
            array, is_tensor, rg = obj.detach().numpy(), True, obj.requires_grad
        elif kind is np.ndarray and not obj.dtype.hasobject:
            array, is_tensor, rg = obj, False, False
        else:
            return None
        key = id(obj)
        if key not in self._seen:  # the same object twice → one array, one object in main
            self._seen[key] = len(self.arrays)
            self.arrays.append((array, is_tensor, rg))
            self._keep.append(obj)
        return self._seen[key]


def pack(data, name: str) -> Packed | object:
    """``data`` ready for the queue; its arrays go into a new shared block called ``name``."""
    if _posixshmem is None:
        return data
    buf = io.BytesIO()
    packer = _Packer(buf)
    packer.dump(data)
    leaves, size = [], 0
    for array, is_tensor, rg in packer.arrays:
        leaves.append((is_tensor, array.shape, array.dtype, size, rg))
        size += -(-array.nbytes // _ALIGN) * _ALIGN
    if size == 0:
        return Packed(buf.getvalue(), None, 0, leaves)
    fd = _posixshmem.shm_open("/" + name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        os.ftruncate(fd, size)
        _write_block(fd, size, [a for a, _, _ in packer.arrays], [lf[3] for lf in leaves])
    except BaseException:
        _posixshmem.shm_unlink("/" + name)
        raise
    finally:
        os.close(fd)
    return Packed(buf.getvalue(), name, size, leaves)


def release(packed) -> None:
    """Free the shared block of a message that will never be unpacked."""
    if isinstance(packed, Packed) and packed.name is not None:
        try:
            _posixshmem.shm_unlink("/" + packed.name)
        except FileNotFoundError:
            pass


def _write_block(fd: int, size: int, arrays: list, offsets: list) -> None:
    """Copy ``arrays`` into the shared block ``fd`` at ``offsets``."""
    if sys.platform.startswith("linux"):
        # ``pwrite`` is about twice as fast as writing through a fresh mapping (no page faults);
        # other systems (macOS) only allow mapping shared-memory objects.
        for array, offset in zip(arrays, offsets):
            data = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
            while data.nbytes:
                written = os.pwrite(fd, data, offset)
                data, offset = data[written:], offset + written
        return
    with mmap.mmap(fd, size) as mm:
        for array, offset in zip(arrays, offsets):
            if array.size:
                np.copyto(np.ndarray(array.shape, array.dtype, buffer=mm, offset=offset), array)


class _Unpacker(pickle.Unpickler):
    def __init__(self, file, objects: list) -> None:
        super().__init__(file)
        self.objects = objects

    def persistent_load(self, pid):
        return self.objects[pid]


def unpack(packed):
    """The batch of a ``pack``ed message, its arrays viewing the shared block (now unlinked)."""
    if not isinstance(packed, Packed):
        return packed
    mm = None
    if packed.name is not None:
        fd = _posixshmem.shm_open("/" + packed.name, os.O_RDWR, mode=0o600)
        try:
            mm = mmap.mmap(fd, packed.size)
        finally:
            os.close(fd)
            _posixshmem.shm_unlink("/" + packed.name)
    objects = []
    for is_tensor, shape, dtype, offset, rg in packed.leaves:
        if mm is not None and int(np.prod(shape)) > 0:
            # The array keeps ``mm`` alive; the mapping goes when the last view does.
            array = np.ndarray(shape, dtype, buffer=mm, offset=offset)
        else:
            array = np.empty(shape, dtype)
        if is_tensor:
            t = ember.from_numpy(array)
            objects.append(t.requires_grad_() if rg else t)
        else:
            objects.append(array)
    return _Unpacker(io.BytesIO(packed.payload), objects).load()


def cleanup(prefix: str) -> None:
    """Unlink every block whose name starts with ``prefix`` (Linux; a no-op elsewhere)."""
    if _posixshmem is None or not os.path.isdir(_SHM_DIR):
        return
    for entry in os.listdir(_SHM_DIR):
        if entry.startswith(prefix + "_"):
            try:
                _posixshmem.shm_unlink("/" + entry)
            except FileNotFoundError:
                pass
