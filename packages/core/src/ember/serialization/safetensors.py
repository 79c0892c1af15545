"""State dicts in the ``safetensors`` format (through the ``safetensors`` package's NumPy API).

``safetensors`` is an optional dependency: ``pip install ember-core[safetensors]``. The format
stores flat, named, contiguous tensors and no code, so loading is safe by construction. Tensors
that share memory are written as independent copies (the format has no views), and it has no
complex128.
"""

from __future__ import annotations

import os

import numpy as np

from .._tensor import Tensor

__all__ = ["save_file", "load_file", "save", "load"]


def _numpy_api():
    try:
        import safetensors.numpy as st
    except ImportError:
        raise ImportError("ember.serialization.safetensors needs the 'safetensors' package: "
                          "pip install ember-core[safetensors]") from None
    return st


def _to_numpy(tensors: dict) -> dict:
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    out = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors keys must be str, got {type(name).__name__}")
        if not isinstance(t, Tensor):
            raise TypeError(f"value of '{name}' is a {type(t).__name__}, not a tensor")
        if t.dtype.name == "complex128":
            raise TypeError(f"'{name}': the safetensors format has no complex128 dtype")
        out[name] = np.ascontiguousarray(t.detach().cpu().numpy())
    return out


def _from_numpy(arrays: dict, device) -> dict:
    from ..ops.creation import from_numpy

    out = {}
    for name, a in arrays.items():
        # the NumPy API hands out read-only views of its buffer: copy into a tensor of our own
        t = from_numpy(np.array(a, copy=True))
        out[name] = t if device is None or str(device) == "cpu" else t.to(device)
    return out


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``{name: tensor}`` to ``filename`` (atomically, like ``ember.save``).

    Args:
        tensors: the state dict; every value a tensor (any device: copied to the host).
        filename: the path.
        metadata: optional ``{str: str}`` stored in the file's header.
    """
    from . import _atomic_write

    st = _numpy_api()
    arrays = _to_numpy(tensors)
    data = st.save(arrays, metadata=metadata)
    _atomic_write(os.fspath(filename), lambda fh: fh.write(data))


def load_file(filename, device="cpu") -> dict:
    """Read a safetensors file into ``{name: tensor}`` on ``device``."""
    return _from_numpy(_numpy_api().load_file(os.fspath(filename)), device)


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``{name: tensor}``."""
    return _numpy_api().save(_to_numpy(tensors), metadata=metadata)


def load(data: bytes, device="cpu") -> dict:
    """``{name: tensor}`` from safetensors bytes."""
    _numpy_api()
    import safetensors

    # safetensors.numpy.load knows no BF16 (load_file does): decode the raw records instead
    arrays = {}
    for name, rec in safetensors.deserialize(data):
        dt = _DTYPES.get(rec["dtype"])
        if dt is None:
            raise TypeError(f"'{name}': safetensors dtype {rec['dtype']} has no ember dtype")
        arrays[name] = np.frombuffer(rec["data"], _np_dtype(dt)).reshape(rec["shape"])
    return _from_numpy(arrays, device)


_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
           "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8",
           "BOOL": "bool", "C64": "complex64"}


def _np_dtype(name: str) -> np.dtype:
    from .._dtype import _BY_NAME

    return _BY_NAME[name].np
