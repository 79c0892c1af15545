"""dtypes: ember's names for element types, and PyTorch's type-promotion rules.

Every backend stores elements as the matching NumPy dtype (bfloat16 comes from ``ml_dtypes``),
so a dtype here is a thin named wrapper around a NumPy dtype.
"""

from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "dtype", "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "bool", "complex64", "complex128", "half", "float", "double", "short", "int", "long",
    "cfloat", "cdouble", "promote_types", "result_type", "get_default_dtype", "set_default_dtype",
    "can_cast",
]


class dtype:
    """An element type. ``ember.float32.is_floating_point`` etc. mirror ``torch.dtype``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed", "_kind")

    def __init__(self, name: str, np_dtype, kind: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self._kind = kind  # "b" bool, "i" integer, "f" floating, "c" complex
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = name not in ("uint8", "bool")

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):  # pickles as a reference to the module constant
        return (_by_name, (self.name,))

    def to_real(self) -> dtype:
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        return {"float64": complex128}.get(self.name, complex64)


def _bfloat16_np():
    import ml_dtypes  # imported lazily: it costs import time and only bfloat16 needs it

    return ml_dtypes.bfloat16


bool = dtype("bool", np.bool_, "b")  # noqa: A001 - torch.bool
uint8 = dtype("uint8", np.uint8, "i")
int8 = dtype("int8", np.int8, "i")
int16 = dtype("int16", np.int16, "i")
int32 = dtype("int32", np.int32, "i")
int64 = dtype("int64", np.int64, "i")
float16 = dtype("float16", np.float16, "f")
float32 = dtype("float32", np.float32, "f")
float64 = dtype("float64", np.float64, "f")
complex64 = dtype("complex64", np.complex64, "c")
complex128 = dtype("complex128", np.complex128, "c")
half, float, double = float16, float32, float64  # noqa: A001 - torch aliases
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

_ALL = [bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128]
_FROM_NP: dict = {d.np: d for d in _ALL}
_BY_NAME: dict = {d.name: d for d in _ALL}


class _LazyBFloat16(dtype):
    """bfloat16 resolves its NumPy dtype (``ml_dtypes``) on first use, keeping ``import ember`` fast."""

    __slots__ = ()

    def __init__(self):
        self.name, self._kind, self.itemsize = "bfloat16", "f", 2
        self.is_floating_point, self.is_complex, self.is_signed = True, False, True

    def __getattr__(self, attr):
        if attr == "np":
            npd = np.dtype(_bfloat16_np())
            object.__setattr__(self, "np", npd)
            _FROM_NP[npd] = self
            return npd
        raise AttributeError(attr)


bfloat16 = _LazyBFloat16()
_BY_NAME["bfloat16"] = bfloat16
_ALL.append(bfloat16)


# PyTorch's legacy type names, used in error messages ("result type Float can't be cast…")
LEGACY_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for types ember does not have."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    if np_dtype.name == "bfloat16":
        bfloat16.np  # noqa: B018 - registers it in _FROM_NP
        return bfloat16
    raise TypeError(f"can't convert np.ndarray of type numpy.{np_dtype.name}. The only supported "
                    "types are: float64, float32, float16, bfloat16, complex64, complex128, int64, "
                    "int32, int16, int8, uint8, and bool.")


# ---- promotion --------------------------------------------------------------------------------
# PyTorch's lattice: bool < integers < floating < complex; inside a category the wider type wins;
# uint8 with a signed int8 gives int16; float16 with bfloat16 gives float32.

_INT_ORDER = {"bool": 0, "uint8": 1, "int8": 1, "int16": 2, "int32": 3, "int64": 4}
_FLOAT_ORDER = {"float16": 1, "bfloat16": 1, "float32": 2, "float64": 3}
_CATEGORY = {"b": 0, "i": 1, "f": 2, "c": 3}


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype to which both ``a`` and ``b`` convert without loss (PyTorch's table)."""
    if a is b:
        return a
    ka, kb = _CATEGORY[a._kind], _CATEGORY[b._kind]
    if ka != kb:
        hi, lo = (a, b) if ka > kb else (b, a)
        if hi._kind == "c" and lo._kind == "f" and lo is float64:
            return complex128
        return hi
    if a._kind == "i":
        if {a.name, b.name} == {"uint8", "int8"}:
            return int16
        return a if _INT_ORDER[a.name] >= _INT_ORDER[b.name] else b
    if a._kind == "f":
        if _FLOAT_ORDER[a.name] == _FLOAT_ORDER[b.name]:  # float16 with bfloat16
            return float32
        return a if _FLOAT_ORDER[a.name] > _FLOAT_ORDER[b.name] else b
    return a if a.itemsize >= b.itemsize else b  # complex


def scalar_kind(x) -> str | None:
    """The category of a Python scalar ("b", "i", "f", "c"), or None when ``x`` is not one."""
    t = type(x)
    if t is _pyfloat:
        return "f"
    if t is _pyint:
        return "i"
    if t is _pybool:
        return "b"
    if t is _pycomplex:
        return "c"
    if isinstance(x, np.generic):
        return from_numpy_dtype(x.dtype)._kind if x.ndim == 0 else None
    return None


_pyfloat, _pyint, _pybool, _pycomplex = builtins.float, builtins.int, builtins.bool, complex
_default_dtype = float32


def default_for_kind(kind: str) -> dtype:
    """The dtype a lone Python scalar of this category becomes."""
    if kind == "f":
        return _default_dtype
    if kind == "c":
        return complex128 if _default_dtype is float64 else complex64
    return int64 if kind == "i" else bool


def promote_with_scalar(t: dtype, kind: str) -> dtype:
    """A tensor of dtype ``t`` combined with a Python scalar: scalars never upcast within a category."""
    if _CATEGORY[kind] <= _CATEGORY[t._kind]:
        return t
    if kind == "c" and t is float64:
        return complex128
    return default_for_kind(kind)


def result_type(a, b) -> dtype:
    """``ember.result_type(tensor_or_scalar, tensor_or_scalar)`` with PyTorch's rules.

    Zero-dim tensors only decide the dtype when they are of a higher category than every
    dimensioned tensor, like Python scalars (but with their own dtype).
    """
    from ._tensor import Tensor

    def describe(x):
        if isinstance(x, Tensor):
            return x.dtype, 0 if x.ndim == 0 else 1
        kind = scalar_kind(x)
        if kind is None:
            raise TypeError(f"result_type: expected a Tensor or a Python scalar, got {type(x).__name__}")
        return default_for_kind(kind), -1  # -1: a Python scalar

    (da, pa), (db, pb) = describe(a), describe(b)
    if pa == pb:
        return promote_types(da, db)
    (hi_t, hi_p), (lo_t, lo_p) = ((da, pa), (db, pb)) if pa > pb else ((db, pb), (da, pa))
    if _CATEGORY[lo_t._kind] <= _CATEGORY[hi_t._kind]:
        return hi_t
    if lo_p == -1:
        return promote_with_scalar(hi_t, lo_t._kind)
    return lo_t if not (lo_t._kind == "c" and hi_t is float64) else complex128


def can_cast(from_: dtype, to: dtype) -> bool:
    """PyTorch's ``can_cast``: casting may not lower the category (float→int, complex→float, …)."""
    return _CATEGORY[from_._kind] <= _CATEGORY[to._kind]


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    """Set the dtype of new floating tensors; like PyTorch only float32/float64/float16/bfloat16."""
    global _default_dtype
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d
