"""The IDX file format of the MNIST family (LeCun's "SN3 Pascal Vincent" format).

Layout: a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the data in C order, big-endian. The files are often
gzip-compressed (``*.gz``, as published) and, for QMNIST's NIST set, xz-compressed; both are
recognised by their leading bytes, whatever the file's name.

Every malformed file raises ``ValueError`` naming the file and what is wrong with it (bad magic,
unknown type code, a data size that does not match the header), never a bare ``assert``.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from pathlib import Path

import numpy as np

import ember

__all__ = ["read_idx", "read_sn3_pascalvincent_tensor", "read_image_file", "read_label_file"]

# type code -> big-endian dtype
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_COMPRESSED = [(b"\x1f\x8b", gzip.decompress), (b"\xfd7zXZ\x00", lzma.decompress),
               (b"BZh", bz2.decompress)]


def _read_bytes(path: str | Path) -> bytes:
    """The file's bytes, decompressed when it starts with a gzip/xz/bz2 signature."""
    with open(path, "rb") as f:
        data = f.read()
    for signature, decompress in _COMPRESSED:
        if data.startswith(signature):
            try:
                return decompress(data)
            except (OSError, EOFError, lzma.LZMAError, ValueError) as error:
                raise ValueError(f"{path}: corrupt compressed IDX file ({error})") from error
    return data


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (plain, ``.gz``, ``.xz`` or ``.bz2``) into a native-endian NumPy array.

    Args:
        path (str or ``pathlib.Path``): the file.

    Returns:
        np.ndarray: the array, with the dtype and shape that the header declares.

    Raises:
        ValueError: the file is not a well-formed IDX file (the message names the file and the
            offending field or byte count).
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file: {len(data)} bytes, shorter than the 4-byte magic")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file: magic number starts with bytes "
                         f"{data[0]:#04x} {data[1]:#04x}, expected 0x00 0x00")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"{c:#04x}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX type code {code:#04x} at byte 2 (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions (byte 3)")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, "
                         f"the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path}: IDX header declares shape {shape} of {dtype.name} "
                         f"({expected} bytes of data after the {header}-byte header), but the file "
                         f"has {len(data) - header} (truncated or corrupt)")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def read_sn3_pascalvincent_tensor(path: str | Path, strict: bool = True) -> ember.Tensor:
    """torchvision's name for ``read_idx``, returning an ember tensor.

    ``strict`` is accepted for compatibility; the data size is always checked.
    """
    return ember.from_numpy(read_idx(path))


def _read_checked(path: str | Path, ndim: int, what: str) -> np.ndarray:
    array = read_idx(path)
    if array.dtype != np.uint8:
        raise TypeError(f"{path}: {what} should be of dtype uint8, the file holds {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{path}: {what} should have {ndim} dimension(s), the file has shape "
                         f"{array.shape}")
    return array


def read_image_file(path: str | Path) -> ember.Tensor:
    """An IDX file of uint8 images, shape (N, H, W), as an ember uint8 tensor."""
    return ember.from_numpy(_read_checked(path, 3, "images"))


def read_label_file(path: str | Path) -> ember.Tensor:
    """An IDX file of uint8 labels, shape (N,), as an ember int64 tensor."""
    return ember.from_numpy(_read_checked(path, 1, "labels").astype(np.int64))
