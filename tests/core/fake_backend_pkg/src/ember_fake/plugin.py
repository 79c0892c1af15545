"""The ``fake`` backend: a third-party-style ember plugin that registers ONLY the primitive kernels.

Its arrays are ``FakeArray`` objects: a NumPy array in disguise that exposes ``.shape`` and
``.dtype`` and nothing else. NumPy refuses them (``__array__``, ``__array_ufunc__`` and
``__array_function__`` raise), so ember code that calls NumPy on a backend array, or indexes,
iterates or truth-tests one, fails loudly instead of silently working on the CPU. Every kernel
also refuses host NumPy arrays as operands (a host array leaking into a device kernel is a bug),
and arrays of the two devices ``fake:0`` and ``fake:1`` may not meet in one kernel.

Only ``ember.backends``' public API is used, exactly as a third party would.
"""

from __future__ import annotations

import numpy as np

import ember.backends as eb
from ember.ops.primitives import PRIMITIVES

DEVICE_COUNT = 2


class FakeArray:
    """A device array of the ``fake`` backend: a NumPy array (possibly a view) plus a device index."""

    __slots__ = ("_a", "index")
    __array_ufunc__ = None  # NumPy ufuncs on a FakeArray raise TypeError

    def __init__(self, array: np.ndarray, index: int):
        self._a = array
        self.index = index

    @property
    def shape(self) -> tuple:
        return self._a.shape

    @property
    def dtype(self) -> np.dtype:
        return self._a.dtype

    def __array__(self, *args, **kwargs):
        raise TypeError("NumPy was called on a 'fake' device array; ember core must go through "
                        "the backend's kernels (or to_numpy) instead")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} was called on a 'fake' device array; ember core "
                        "must go through the backend's kernels instead")

    def __bool__(self):
        raise TypeError("the truth value of a 'fake' device array was requested; use a kernel "
                        "and to_numpy")

    def __repr__(self) -> str:
        return f"FakeArray(shape={self._a.shape}, dtype={self._a.dtype}, device=fake:{self.index})"


# ---- unwrapping operands and wrapping results -----------------------------------------------

def _unwrap(x, seen: set):
    """A kernel operand → its NumPy value, recording the device indices of FakeArrays."""
    if isinstance(x, FakeArray):
        seen.add(x.index)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"a host numpy.ndarray {x.shape} was passed to a 'fake' kernel; move it "
                        "to the device first (Backend.from_numpy)")
    if isinstance(x, (tuple, list)):
        return type(x)(_unwrap(v, seen) for v in x)
    if hasattr(x, "_data") and hasattr(x, "grad_fn"):
        raise TypeError("an ember Tensor was passed to a 'fake' kernel; kernels take arrays")
    return x  # Python scalars, slices, None, Ellipsis, NumPy dtypes and scalars


def _wrap(result, index: int):
    if isinstance(result, tuple):
        return tuple(_wrap(r, index) for r in result)
    if result is None:
        return None
    return FakeArray(np.asarray(result), index)


def _kernel(name: str, fn, index_arg: int | None = None):
    """A fake kernel: unwrap operands (one device only), run ``fn`` on NumPy, wrap the result."""

    def kernel(*args, **kwargs):
        seen: set = set()
        raw = [_unwrap(a, seen) for a in args]
        kw = {k: _unwrap(v, seen) for k, v in kwargs.items()}
        if len(seen) > 1:
            raise RuntimeError(f"fake kernel '{name}' got arrays of devices "
                               f"{', '.join(f'fake:{i}' for i in sorted(seen))}")
        if index_arg is not None:
            index = args[index_arg] or 0
            if not 0 <= index < DEVICE_COUNT:
                raise RuntimeError(f"fake:{index} does not exist ({DEVICE_COUNT} fake devices)")
        else:
            index = seen.pop() if seen else 0
        with np.errstate(all="ignore"):  # inf/NaN results come silently, as in PyTorch
            return _wrap(fn(*raw, **kw), index)

    kernel.__name__ = name
    return kernel


# ---- the primitive kernels, on NumPy arrays ---------------------------------------------------

def _root(x: np.ndarray) -> np.ndarray:
    while isinstance(x.base, np.ndarray):
        x = x.base
    return x


def _int64_acc(fn):
    def run(x, dims, keepdim):
        dt = np.int64 if x.dtype.kind in "biu" else None
        return fn(x, axis=dims, keepdims=keepdim, dtype=dt)

    return run


def _arg(fn):
    return lambda x, dim, keepdim: np.asarray(fn(x, axis=dim, keepdims=keepdim)).astype(np.int64)


def _scan(fn):
    def run(x, dim):
        return fn(x, axis=dim, dtype=np.int64 if x.dtype.kind in "biu" else None)

    return run


def _sort(x, dim, descending, stable):
    if descending:
        # stable, NaN first (the contract): the ascending sort of the reversed input, reversed
        rev = np.argsort(np.flip(x, dim), axis=dim, kind="stable")
        idx = x.shape[dim] - 1 - np.flip(rev, dim)
    else:
        idx = np.argsort(x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx.astype(np.int64)


def _slice(x, key):
    # a trailing Ellipsis keeps an all-int key from returning a NumPy scalar (not a view)
    return x[key if any(k is Ellipsis for k in key) else key + (Ellipsis,)]


def _as_strided(x, shape, strides, offset):
    root = _root(x)
    if not root.flags.c_contiguous:
        raise ValueError("fake as_strided needs a contiguous storage")
    flat = root.reshape(-1)[offset:]
    item = x.dtype.itemsize
    return np.lib.stride_tricks.as_strided(flat, shape=shape, strides=tuple(s * item for s in strides))


def _index_put(x, key, values, accumulate):
    if accumulate:
        np.add.at(x, key, values)
    else:
        x[key] = values


def _copy(dst, src):
    dst[...] = src


def _nonzero(x):
    if x.ndim == 0:
        return np.zeros((int(bool(x)), 0), np.int64)
    return np.stack(np.nonzero(x), axis=-1).astype(np.int64)


def _fresh(fn):
    """NumPy's real/imag/conj return their input (or a view) for real arrays; a kernel's result
    must be a new array."""
    return lambda x: np.array(fn(x), copy=True)


def _special(name):
    # NumPy has no erf & co.: borrow the CPU backend's host kernels (a device backend would run
    # its own); their arguments here are plain NumPy arrays
    cpu = eb.get_backend("cpu").kernels[name]
    return lambda x: cpu(x)


_NUMPY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "sqrt": np.sqrt, "exp": np.exp,
    "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "atan": np.arctan,
    "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.round,
    "real": _fresh(np.real), "imag": _fresh(np.imag), "conj": _fresh(np.conj),
    "logical_not": np.logical_not, "bitwise_not": np.invert, "isnan": np.isnan,
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "floor_divide": np.floor_divide, "remainder": np.remainder, "fmod": np.fmod,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "bitwise_left_shift": np.left_shift,
    "bitwise_right_shift": np.right_shift,
    "where": np.where, "astype": lambda x, dtype: x.astype(dtype),
    "sum": _int64_acc(np.sum), "prod": _int64_acc(np.prod),
    "amax": lambda x, dims, keepdim: np.amax(x, axis=dims, keepdims=keepdim),
    "amin": lambda x, dims, keepdim: np.amin(x, axis=dims, keepdims=keepdim),
    "argmax": _arg(np.argmax), "argmin": _arg(np.argmin),
    "cumsum": _scan(np.cumsum), "cumprod": _scan(np.cumprod), "sort": _sort,
    "view": lambda x, shape: np.reshape(x, shape, copy=False),
    "permute": np.transpose, "expand": np.broadcast_to, "slice": _slice,
    "as_strided": _as_strided, "contiguous": lambda x: np.array(x, order="C", copy=True),
    "cat": lambda xs, dim: np.concatenate(xs, axis=dim),
    "index": lambda x, key: np.array(x[key]), "index_put": _index_put, "copy_": _copy,
    "nonzero": _nonzero, "matmul": np.matmul,
    "full": lambda shape, value, dtype, index: np.full(shape, value, dtype),
    "arange": lambda start, end, step, dtype, index: np.arange(start, end, step, dtype),
}
_INDEX_ARG = {"full": 3, "arange": 4}  # creation kernels: which argument is the device index


class FakeBackend(eb.Backend):
    name = "fake"

    def __init__(self):
        super().__init__()
        table = dict(_NUMPY)
        for name in ("erf", "erfinv", "lgamma", "digamma"):
            table[name] = _special(name)
        self.kernels = {name: _kernel(name, fn, _INDEX_ARG.get(name))
                        for name, fn in table.items()}
        if set(self.kernels) != set(PRIMITIVES):  # the point of this backend: primitives only
            raise AssertionError(f"fake backend kernels differ from PRIMITIVES: missing "
                                 f"{sorted(set(PRIMITIVES) - set(self.kernels))}, extra "
                                 f"{sorted(set(self.kernels) - set(PRIMITIVES))}")

    def device_count(self) -> int:
        return DEVICE_COUNT

    def device_index(self, array) -> int:
        return array.index

    def namespace(self) -> dict:
        return {"is_fake": lambda: True}

    def from_numpy(self, array, index=None):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"fake from_numpy expects a numpy.ndarray, got {type(array).__name__}")
        index = 0 if index is None else index
        if not 0 <= index < DEVICE_COUNT:
            raise RuntimeError(f"fake:{index} does not exist ({DEVICE_COUNT} fake devices)")
        return FakeArray(np.array(array, order="C", copy=True), index)

    def to_numpy(self, array):
        # a copy, like a real device's download: writing to it must not change the device array
        return np.array(self._check(array)._a, copy=True)

    def strides(self, array):
        a = self._check(array)._a
        return tuple(s // a.itemsize for s in a.strides)

    def storage_offset(self, array):
        a = self._check(array)._a
        root = _root(a)
        start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return start // a.itemsize

    @staticmethod
    def _check(array) -> FakeArray:
        if not isinstance(array, FakeArray):
            raise TypeError(f"expected a fake device array, got {type(array).__name__}")
        return array


@eb.hookimpl
def ember_register_backends(registry):
    registry.register(FakeBackend())
