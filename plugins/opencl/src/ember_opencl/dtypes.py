"""Which NumPy dtypes live on an OpenCL device, and their OpenCL C names.

bool is stored as ``uchar`` holding 0 or 1 (OpenCL has no bool in buffers); complex as
``float2``/``double2`` (real, imag), with the few kernels of ``kernels/complex.cl``; float16 as
``half``, converted to float32 for every op (``kernels/half.cl``). float64 and complex128 need
the device's ``cl_khr_fp64``; bfloat16 is not supported.
"""

from __future__ import annotations

import numpy as np

#: NumPy dtype → (OpenCL C type, the suffix of the cast kernel that produces it)
CL_TYPES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "uchar",
    np.dtype(np.uint8): "uchar",
    np.dtype(np.int8): "char",
    np.dtype(np.int16): "short",
    np.dtype(np.int32): "int",
    np.dtype(np.int64): "long",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
    np.dtype(np.float16): "half",  # storage only: ops run in float32 (backend.py)
    np.dtype(np.complex64): "float2",  # (real, imag)
    np.dtype(np.complex128): "double2",
}

_NAMES = {np.dtype(np.bool_): "bool", np.dtype(np.uint8): "uint8", np.dtype(np.int8): "int8",
          np.dtype(np.int16): "int16", np.dtype(np.int32): "int32", np.dtype(np.int64): "int64",
          np.dtype(np.float16): "float16", np.dtype(np.float32): "float32",
          np.dtype(np.float64): "float64", np.dtype(np.complex64): "complex64", np.dtype(np.complex128): "complex128"}

INT64 = np.dtype(np.int64)
HALF = np.dtype(np.float16)
FLOAT32 = np.dtype(np.float32)
BOOL = np.dtype(np.bool_)


def name(dtype: np.dtype) -> str:
    """ember's name of a supported dtype (``float32``…), used in kernel and program names."""
    return _NAMES[dtype]


def real_of(dtype: np.dtype) -> np.dtype:
    """complex64 → float32, complex128 → float64; other dtypes unchanged."""
    return np.empty(0, dtype).real.dtype if dtype.kind == "c" else dtype


def defines(dtype: np.dtype, has_fp64: bool) -> dict:
    """The preprocessor definitions that specialise a program to element type ``dtype``."""
    kind = dtype.kind
    if dtype == HALF:  # half.cl: conversions only
        return {"T": "half", "IS_HALF": "1"}
    if kind == "c":  # complex.cl: T the (real, imag) vector, RT its real type
        return {"T": CL_TYPES[dtype], "RT": "float" if dtype.itemsize == 8 else "double",
                "IS_COMPLEX": "1"}
    d = {"T": CL_TYPES[dtype], "T_BITS": str(dtype.itemsize * 8),
         "IS_SIGNED": "1" if kind in "if" else "0"}
    if kind == "f":
        d["IS_FLOAT"] = "1"
        d["ACC_T"] = "double" if has_fp64 else "float"
    else:
        d["ACC_T"] = "long"
        if kind == "b":
            d["IS_BOOL"] = "1"
    info = np.finfo(dtype) if kind == "f" else np.iinfo(dtype) if kind in "iu" else None
    if kind == "f":
        d["T_LOWEST"], d["T_HIGHEST"] = "(-INFINITY)", "INFINITY"
    elif kind == "b":
        d["T_LOWEST"], d["T_HIGHEST"] = "0", "1"
    else:
        # INT64_MIN cannot be written as one literal in C
        lo = f"({info.min + 1}L - 1)" if dtype.itemsize == 8 else str(info.min)
        d["T_LOWEST"], d["T_HIGHEST"] = f"(({CL_TYPES[dtype]}){lo})", f"(({CL_TYPES[dtype]}){info.max}L)"
    return d


def check_supported(dtype: np.dtype, has_fp64: bool, device: str) -> None:
    """TypeError naming the dtype and the device when ``device`` cannot hold ``dtype``."""
    if dtype not in CL_TYPES:
        raise TypeError(f"the OpenCL backend does not support dtype {dtype} (supported: "
                        f"{', '.join(_NAMES.values())})")
    if (dtype == np.float64 or dtype == np.complex128) and not has_fp64:
        raise TypeError(f"{device} does not support {dtype} (its driver lacks cl_khr_fp64); "
                        "use float32 / complex64 on this device")
