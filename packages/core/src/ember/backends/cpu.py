"""The built-in CPU backend: NumPy arrays, registered through the same pluggy hook as any plugin."""

from __future__ import annotations

import math

import numpy as np

from ..ops.primitives import BINARY, UNARY
from . import (
    cpu_attention,
    cpu_conv,
    cpu_fft,
    cpu_inplace,
    cpu_linalg,
    cpu_nn_basic,
    cpu_norm,
    cpu_special,
    hookimpl,
)
from .backend import Backend

_nv = np.lib.stride_tricks


def _root(x: np.ndarray) -> np.ndarray:
    while isinstance(x.base, np.ndarray):
        x = x.base
    return x


def _reduce(ufunc):
    # ufunc.reduce directly: np.max/np.sum add microseconds of argument handling per call
    def kernel(x, dims, keepdim):
        return np.asarray(ufunc.reduce(x, axis=dims, keepdims=keepdim))

    return kernel


def _int_accumulate(ufunc):
    """sum/prod of bool and integers accumulate in int64, like PyTorch."""

    def kernel(x, dims, keepdim):
        dt = np.int64 if x.dtype.kind in "biu" else None
        return np.asarray(ufunc.reduce(x, axis=dims, keepdims=keepdim, dtype=dt))

    return kernel


def _expand(x, shape):
    """A broadcast view. Building the ndarray over the root buffer is ~6x faster than
    np.broadcast_to, and stays writable (PyTorch's expanded tensors alias their base)."""
    lead = len(shape) - x.ndim
    strides = (0,) * lead + tuple(0 if size == 1 and want != 1 else st for size, want, st in
                                  zip(x.shape, shape[lead:], x.strides))
    root = _root(x)
    if root.flags.c_contiguous and root.flags.writeable:
        offset = 0 if root is x else \
            x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return np.ndarray(shape, x.dtype, root, offset, strides)
    return _nv.as_strided(x, shape, strides, writeable=False)


def _arg(fn):
    def kernel(x, dim, keepdim):
        return np.asarray(fn(x, axis=dim, keepdims=keepdim)).astype(np.int64, copy=False)

    return kernel


def _scan(fn):
    def kernel(x, dim):
        dt = np.int64 if x.dtype.kind in "biu" else None
        return fn(x, axis=dim, dtype=dt)

    return kernel


def _sort(x, dim, descending, stable):
    if descending:
        # stable and NaN first, like PyTorch: the ascending sort of the reversed input, reversed
        rev = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
        idx = x.shape[dim] - 1 - np.flip(rev, dim)
    else:
        idx = np.argsort(x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx.astype(np.int64, copy=False)


def _slice(x, key):
    # a trailing Ellipsis makes NumPy return a 0-d view rather than a scalar for all-int keys
    return x[key] if any(k is Ellipsis for k in key) else x[key + (Ellipsis,)]


def _index(x, key):
    return np.asarray(x[key])


def _view(x, shape):
    return np.reshape(x, shape, copy=False)


def _as_strided(x, shape, strides, offset):
    """A view of the root array's memory (the "storage"); NumPy checks it stays in bounds."""
    root = _root(x)
    item = x.itemsize
    if not (root.flags.c_contiguous and root.flags.writeable):
        raise ValueError("as_strided needs a contiguous, writable root array on the CPU backend")
    try:
        return np.ndarray(tuple(shape), x.dtype, root, offset * item,
                          tuple(s * item for s in strides))
    except (TypeError, ValueError) as exc:  # the view would reach outside the buffer
        raise RuntimeError(f"setStorage: sizes {list(shape)}, strides {list(strides)} and "
                           f"storage offset {offset} are out of bounds for a storage of "
                           f"{root.size} elements") from exc


def _index_put(x, key, values, accumulate):
    if accumulate:
        if type(key) is tuple and all(type(k) in (slice, int) or k is None or k is Ellipsis
                                      for k in key):
            x[key] += values  # basic indexing reaches each element once: no add.at needed
        else:
            np.add.at(x, key, values)
    else:
        x[key] = values


def _copy_(dst, src):
    dst[...] = src


def _nonzero(x):
    return np.stack(np.nonzero(x), axis=-1).astype(np.int64, copy=False) if x.ndim else \
        np.zeros((int(bool(x)), 0), np.int64)


def _matmul(a, b):
    """NumPy matmul; half-precision operands multiply in float32 (BLAS, and float32 accumulation
    like PyTorch's) and the result is cast back to their dtype."""
    if a.dtype.itemsize == 2 and a.dtype.kind in "fV":
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    return np.matmul(a, b)


def _full(shape, value, dtype, index):
    out = np.empty(shape, dtype)  # empty + fill: np.full's Python wrapper costs a microsecond
    out.fill(value)
    return out


def _div(a, b):
    return np.true_divide(a, b)


def _floor_divide(a, b):
    return np.floor_divide(a, b)


def _special(name, use_scipy: bool = True):
    """erf & co.: SciPy's ufuncs when SciPy is installed, else the exact ``math`` functions
    applied per element (slower, same values). NumPy itself has no erf."""
    sp = None
    if use_scipy:
        try:
            import scipy.special as sp
        except ImportError:
            sp = None
    if sp is not None:
        fn = getattr(sp, "gammaln" if name == "lgamma" else name)
        return lambda x: np.asarray(fn(x)).astype(x.dtype, copy=False)
    scalar = {"erf": math.erf, "lgamma": math.lgamma, "erfinv": _erfinv_scalar,
              "digamma": _digamma_scalar}[name]
    vec = np.vectorize(scalar, otypes=[np.float64])
    return lambda x: vec(x).astype(x.dtype, copy=False) if x.size else x.copy()


def _erfinv_scalar(y: float) -> float:
    if not -1.0 <= y <= 1.0:
        return math.nan
    if abs(y) == 1.0:
        return math.copysign(math.inf, y)
    # a rough start (tail asymptotics or the Taylor term) refined by Newton steps on math.erf
    w = -math.log((1.0 - y) * (1.0 + y))
    x = math.copysign(math.sqrt(max(w - math.log(max(w, 1e-300)), 0.0) / 2.0), y) if abs(y) > 0.7 \
        else y * math.sqrt(math.pi) / 2.0
    for _ in range(60):
        err = math.erf(x) - y
        x -= err / (2.0 / math.sqrt(math.pi) * math.exp(-x * x))
        if abs(err) < 1e-17:
            break
    return x


def _digamma_scalar(x: float) -> float:
    """ψ(x): reflection for x < 0, recurrence up to x ≥ 12, then the asymptotic series."""
    if x <= 0 and x == math.floor(x):
        return math.nan
    if x < 0:
        return _digamma_scalar(1 - x) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 12:
        shift -= 1 / x
        x += 1
    f = 1 / (x * x)
    # Bernoulli terms B_2k / (2k x^2k), k = 1..7 (error ~ B_16/(16 x^16) < 1e-18 at x ≥ 12)
    tail = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (
        1 / 132 - f * (691 / 32760 - f / 12))))))
    return shift + math.log(x) - 0.5 / x - tail


def _array_result(kernel):
    """NumPy ufuncs turn 0-d arrays into immutable scalars; tensors need writable arrays."""
    ndarray, asarray = np.ndarray, np.asarray

    def call(*args):
        out = kernel(*args)
        return out if out.__class__ is ndarray else asarray(out)

    return call


_MAY_WARN = ("div", "log", "sqrt", "pow", "remainder", "fmod", "floor_divide", "log1p", "log2",
             "log10", "reciprocal", "asin", "acos", "acosh", "atanh")


def _quiet(kernel):
    def quiet(*args):
        with np.errstate(all="ignore"):
            return kernel(*args)

    return quiet


class _LazyKernel:
    """Builds a kernel on first call (the SciPy import costs import time)."""

    def __init__(self, make):
        self.make, self.fn = make, None

    def __call__(self, *args):
        if self.fn is None:
            self.fn = self.make()
        return self.fn(*args)


def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep large freed blocks instead of returning them to the OS.

    A training step frees and re-allocates the same large activations every iteration; by
    default glibc unmaps them, and every step then page-faults fresh memory (7,600 faults per
    Transformer step measured here, against PyTorch's ~950 with its caching allocator). Peak
    memory is unchanged: the blocks are reused, not added. EMBER_CPU_KEEP_FREED=0 turns it off.
    """
    import os
    import sys

    if sys.platform != "linux" or os.environ.get("EMBER_CPU_KEEP_FREED", "1") == "0":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameters from <malloc.h>
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
        libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc (musl, …): keep the default behaviour
        pass


class CPUBackend(Backend):
    name = "cpu"

    def is_accelerator(self) -> bool:
        return False

    def __init__(self):
        super().__init__()
        _keep_freed_memory()
        k = self.kernels
        k.update(neg=np.negative, abs=np.abs, sign=np.sign, sqrt=np.sqrt, exp=np.exp, log=np.log,
                 sin=np.sin, cos=np.cos, tanh=np.tanh, atan=np.arctan, floor=np.floor,
                 ceil=np.ceil, trunc=np.trunc, round=np.round, real=np.real, imag=np.imag,
                 conj=np.conj, logical_not=np.logical_not, bitwise_not=np.invert,
                 isnan=np.isnan)
        for name in ("erf", "erfinv", "lgamma", "digamma"):
            k[name] = _LazyKernel(lambda name=name: _special(name))
        k.update(add=np.add, sub=np.subtract, mul=np.multiply, div=_div, pow=np.power,
                 maximum=np.maximum, minimum=np.minimum, atan2=np.arctan2,
                 floor_divide=_floor_divide, remainder=np.remainder, fmod=np.fmod,
                 eq=np.equal, ne=np.not_equal, lt=np.less, le=np.less_equal, gt=np.greater,
                 ge=np.greater_equal, logical_and=np.logical_and, logical_or=np.logical_or,
                 logical_xor=np.logical_xor, bitwise_and=np.bitwise_and,
                 bitwise_or=np.bitwise_or, bitwise_xor=np.bitwise_xor,
                 bitwise_left_shift=np.left_shift, bitwise_right_shift=np.right_shift)
        k.update(where=np.where, astype=lambda x, dtype: x.astype(dtype))
        k.update(sum=_int_accumulate(np.add), prod=_int_accumulate(np.multiply),
                 amax=_reduce(np.maximum), amin=_reduce(np.minimum), argmax=_arg(np.argmax),
                 argmin=_arg(np.argmin), cumsum=_scan(np.cumsum), cumprod=_scan(np.cumprod),
                 sort=_sort)
        k.update(view=_view, permute=np.transpose, expand=_expand,
                 slice=_slice, as_strided=_as_strided,
                 contiguous=lambda x: np.array(x, order="C", copy=True),
                 cat=lambda xs, dim: np.concatenate(xs, axis=dim))
        k.update(index=_index, index_put=_index_put, copy_=_copy_,
                 nonzero=_nonzero, matmul=_matmul)
        k.update(full=_full,
                 arange=lambda start, end, step, dtype, index: np.arange(start, end, step, dtype))
        # fast paths (non-primitive ops that NumPy does in one call)
        k.update(expm1=np.expm1, log1p=np.log1p, tan=np.tan, sinh=np.sinh, cosh=np.cosh,
                 asin=np.arcsin, acos=np.arccos, asinh=np.arcsinh, acosh=np.arccosh,
                 atanh=np.arctanh, exp2=np.exp2, log2=np.log2, log10=np.log10,
                 reciprocal=np.reciprocal, square=np.square, flip=np.flip, isinf=np.isinf,
                 isfinite=np.isfinite, cummax=lambda x, dim: np.maximum.accumulate(x, axis=dim),
                 cummin=lambda x, dim: np.minimum.accumulate(x, axis=dim))
        k.update(cpu_fft.KERNELS)
        k.update(cpu_conv.KERNELS)
        k.update(cpu_attention.KERNELS)
        k.update(cpu_special.KERNELS)
        k.update(cpu_linalg.KERNELS)
        k.update(cpu_norm.KERNELS)
        k.update(cpu_nn_basic.KERNELS)
        k["relu"] = lambda x: np.maximum(x, 0)
        k.update(cpu_inplace.KERNELS)  # add_, mul_, addcmul_…: write into the first array
        for name in _MAY_WARN:  # PyTorch returns inf/nan silently; so does ember
            k[name] = _quiet(k[name])
        for name in (*UNARY, *BINARY, "where", "relu", "expm1", "log1p", "tan", "sinh", "cosh",
                     "asin", "acos", "asinh", "acosh", "atanh", "exp2", "log2", "log10",
                     "reciprocal", "square", "isinf", "isfinite"):
            k[name] = _array_result(k[name])

    def from_numpy(self, array, index=None):
        return array

    def to_numpy(self, array):
        return array

    def strides(self, array):
        if array.size == 0:  # NumPy reports 0 strides for empty arrays; PyTorch contiguous ones
            strides, step = [], 1
            for size in reversed(array.shape):
                strides.append(step)
                step *= max(size, 1)
            return tuple(reversed(strides))
        return tuple(s // array.itemsize for s in array.strides)

    def storage_offset(self, array):
        root = _root(array)
        start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return start // array.itemsize


@hookimpl
def ember_register_backends(registry):
    registry.register(CPUBackend())
