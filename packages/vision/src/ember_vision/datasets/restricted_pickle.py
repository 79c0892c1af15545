"""Reading the pickled NumPy batches of CIFAR without letting the file run code.

``pickle.load`` imports and calls whatever ``module.name`` a file asks for, so a tampered
dataset archive could run ``os.system``. The CIFAR "python version" files only need plain
containers (dicts, lists, str, bytes, ints, which pickle builds without any global) and NumPy
array reconstruction, so ``find_class`` below resolves exactly those globals and refuses every
other one with an ``UnpicklingError`` naming it and the file, before anything is imported.
Object arrays are refused too: their items would be arbitrary Python objects.
"""

from __future__ import annotations

import codecs
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["restricted_load", "RestrictedUnpickler"]


def _numpy_reconstruct():
    # NumPy 2 moved the pickle helper to numpy._core; files name either location.
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _encode_text(obj: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` limited to what pickle protocol 2 uses it for: str -> bytes."""
    if not isinstance(obj, str):
        raise pickle.UnpicklingError(f"_codecs.encode expects a str, got {type(obj).__name__}")
    return codecs.encode(obj, encoding, errors)


def _checked_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError(f"refusing a NumPy array of dtype {dtype} (object items)")
    return dtype


class RestrictedUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` whose ``find_class`` only allows NumPy array reconstruction.

    Args:
        file: a binary file object.
        name (str): the file's name, for error messages.
        **kwargs: ``encoding``/``errors`` as for ``pickle.Unpickler`` (CIFAR's Python 2 pickles
            need ``encoding="latin1"``).
    """

    def __init__(self, file, name: str = "<pickle>", **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.name = name
        reconstruct = _numpy_reconstruct()
        self.allowed = {
            ("numpy.core.multiarray", "_reconstruct"): reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): _checked_dtype,
            ("_codecs", "encode"): _encode_text,
        }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"{self.name}: refusing to load global '{module}.{name}' (only NumPy arrays and "
                "plain containers are allowed in a dataset file)") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(f"{self.name}: unexpected persistent id {pid!r}")


def restricted_load(path: str | Path, encoding: str = "latin1") -> Any:
    """Unpickle ``path`` with :class:`RestrictedUnpickler`.

    Raises:
        pickle.UnpicklingError: the file names a global other than NumPy's array helpers, or
            is not a valid pickle (the message names the file).
    """
    name = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        return RestrictedUnpickler(io.BytesIO(data), name, encoding=encoding).load()
    except pickle.UnpicklingError as error:
        if str(error).startswith(name):
            raise
        raise pickle.UnpicklingError(f"{name}: {error}") from error
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        raise pickle.UnpicklingError(f"{name}: corrupt pickle ({type(error).__name__}: "
                                     f"{error})") from error
