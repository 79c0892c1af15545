"""Making tensors: from data, filled, ranges, and moving them between devices and dtypes."""

from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype
from .._device import device as _device
from .._dtype import dtype as _dtype_cls
from .._tensor import Tensor, tensor_method, wrap, wrap_on
from ..autograd.grad_mode import state
from ..backends import get_backend
from ._dispatch import kernel, record

_default_device = _device("cpu")


def get_default_device():
    return _default_device


def set_default_device(device) -> None:
    global _default_device
    _default_device = _device(device if device is not None else "cpu")


def _resolve_device(device):
    """(device, backend) for a user's device argument, checking the device exists."""
    dev = _default_device if device is None else _device(device)
    backend = get_backend(dev.type)
    if dev.type != "cpu":
        if not backend.is_available():
            raise RuntimeError(f"device '{dev}' is not available: {backend.unavailable_reason()}")
        if dev.index is None:  # like PyTorch: "cuda" means the current cuda device
            dev = _device(dev.type, backend.current_device())
        if dev.index >= backend.device_count():
            raise RuntimeError(f"device '{dev}' does not exist: {backend.device_count()} "
                               f"{dev.type} device(s) present")
    return dev, backend


def _np_dtype(dtype):
    if dtype is None:
        return None
    if isinstance(dtype, _dtype_cls):
        return dtype.np
    if isinstance(dtype, str):
        return _dtype._BY_NAME[dtype.replace("torch.", "").replace("ember.", "")].np
    if dtype in (builtins.float, builtins.int, builtins.bool, builtins.complex):
        return {builtins.float: _dtype.get_default_dtype().np, builtins.int: np.int64,
                builtins.bool: np.bool_, builtins.complex: np.complex64}[dtype]
    raise TypeError(f"dtype must be an ember.dtype, got {dtype!r}")


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if state.inference:
        t._inference = True
    return t.requires_grad_() if requires_grad else t


def _host_array(data, dtype) -> np.ndarray:
    """Data → a host array with PyTorch's dtype inference (floats → default dtype, ints → int64)."""
    if isinstance(data, Tensor):
        arr = np.asarray(data._be.to_numpy(data._data))
        return arr if dtype is None else arr.astype(dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _nested_tolist(data)
    if dtype is not None:
        return np.array(data, dtype=dtype)
    arr = np.array(data)
    kind = arr.dtype.kind
    if kind == "f" and not isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        arr = arr.astype(_dtype.get_default_dtype().np)
    elif kind == "c" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(_dtype.default_for_kind("c").np)
    elif kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        arr = arr.astype(np.int64)
    elif kind not in "biufc":
        raise TypeError(f"Could not infer dtype of {type(data).__name__} (element type "
                        f"{arr.dtype})")
    _dtype.from_numpy_dtype(arr.dtype)  # TypeError for unsupported NumPy dtypes
    return arr


def _flat(seq):
    for x in seq:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _nested_tolist(seq):
    return [(_nested_tolist(x) if isinstance(x, (list, tuple)) else
             x.item() if isinstance(x, Tensor) else x) for x in seq]


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors)."""
    dev, backend = _resolve_device(device if device is not None or not isinstance(data, Tensor)
                                   else data.device)
    arr = np.array(_host_array(data, _np_dtype(dtype)), copy=True)
    return _finish(wrap_on(backend.from_numpy(arr, dev.index), dev, backend), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory when ``data`` already is a matching tensor or array."""
    if isinstance(data, Tensor):
        out = data if dtype is None else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and device in (None, "cpu") and \
            (dtype is None or _np_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A CPU tensor sharing ``ndarray``'s memory: writes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().)")
    _dtype.from_numpy_dtype(ndarray.dtype)
    cpu = _device("cpu")
    return wrap_on(ndarray, cpu, get_backend("cpu"))


def _shape_arg(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    return shape


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    if dtype is None:
        kind = _dtype.scalar_kind(fill_value)
        dtype = _dtype.default_for_kind(kind) if kind else _dtype.get_default_dtype()
    dev, backend = _resolve_device(device)
    npd = _np_dtype(dtype)
    shape = _shape_arg((size,) if isinstance(size, (tuple, list)) else (size,))
    data = kernel(backend, "full")(shape, fill_value, npd, dev.index)
    return _into(out, _finish(wrap_on(data, dev, backend), requires_grad))


def _into(out, result: Tensor) -> Tensor:
    """Honour a creation function's ``out=``: the values land in ``out`` (resized if empty)."""
    if out is None:
        return result
    from .inplace import write_out

    return write_out(out, result)


def _filled(value):
    def make(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False):
        if out is not None:
            dtype, device = dtype or out.dtype, device or out.device
        return full(_shape_arg(size), value, dtype=dtype or _dtype.get_default_dtype(),
                    device=device, requires_grad=requires_grad, out=out)

    return make


zeros = _filled(0)
ones = _filled(1)
empty = _filled(0)  # ember's empty is zero-filled: same cost on NumPy, and deterministic


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return ones(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; ints give int64 like PyTorch."""
    if end is None:
        start, end = 0, start
    start, end, step = (x.item() if isinstance(x, Tensor) else x for x in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(x, float) for x in (start, end, step))
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    dev, backend = _resolve_device(device)
    data = kernel(backend, "arange")(start, end, step, _np_dtype(dtype), dev.index)
    return _into(out, _finish(wrap_on(data, dev, backend), requires_grad))


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    arr = np.linspace(float(start), float(end), int(steps))
    dt = dtype or _dtype.get_default_dtype()
    return tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    arr = np.logspace(float(start), float(end), int(steps), base=base)
    return tensor(arr, dtype=dtype or _dtype.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    m = n if m is None else m
    out = zeros(n, m, dtype=dtype, device=device)
    if min(n, m):
        idx = arange(min(n, m), device=device)
        out[idx, idx] = 1
    return _finish(out, requires_grad)


def _legacy_constructor(cls, *args, **kwargs):
    """``Tensor(2, 3)`` (uninitialised sizes) or ``Tensor([1, 2])`` (data), as float tensors."""
    device = kwargs.pop("device", None)
    if len(args) == 1 and not isinstance(args[0], int):
        return tensor(args[0], dtype=_dtype.get_default_dtype(), device=device)
    return zeros(*args, device=device)


# ---- dtype and device conversion ---------------------------------------------------------------

def _to_backward(node, g):
    src_dtype, src_device = node.ctx
    g = g if g.device == src_device else g.to(src_device)
    if g.dtype.is_complex and not src_dtype.is_complex:
        g = g.real
    return (g.to(src_dtype),)


def _convert(self: Tensor, dtype=None, device=None, copy=False) -> Tensor:
    dev, backend = (self._device, self._be) if device is None else _resolve_device(device)
    if device is not None and dev.type == self._device.type and dev.index is None:
        dev = self._device  # "cuda" means the tensor's current cuda device
    npd = _np_dtype(dtype) if dtype is not None else None
    same_dtype = npd is None or npd == self._data.dtype
    if same_dtype and dev == self._device and not copy:
        return self
    data = self._data
    if not same_dtype:
        data = kernel(self._be, "astype")(data, npd)
    if dev != self._device:
        host = self._be.to_numpy(data)
        data = backend.from_numpy(np.asarray(host, order="C"), dev.index)  # 0-d stays 0-d
    elif copy and same_dtype:
        data = kernel(self._be, "contiguous")(data)
    out = wrap_on(data, dev, backend)
    if self._rg and state.grad_enabled and (out.dtype.is_floating_point or out.dtype.is_complex):
        record(out, _to_backward, "ToCopyBackward0", (self,), (), (self.dtype, self._device))
    return out


@tensor_method
def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False,
       memory_format=None) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``."""
    for a in args:
        if isinstance(a, _dtype_cls):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _device)):
            device = a
        elif isinstance(a, builtins.int) and not isinstance(a, builtins.bool):
            device = _device(_default_device.type if _default_device.type != "cpu" else "cuda", a)
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    return _convert(self, dtype, device, copy)


@tensor_method
def cpu(self) -> Tensor:
    return _convert(self, device="cpu")


def _device_method(name):
    def method(self, device=None, non_blocking=False):
        return _convert(self, device=_device(name, device if isinstance(device, builtins.int)
                                             else None) if not isinstance(device, (str, _device))
                        else device)

    method.__name__ = name
    return method


Tensor.cuda = _device_method("cuda")
Tensor.opencl = _device_method("opencl")


def _dtype_method(name, dt):
    def method(self, memory_format=None):
        return _convert(self, dtype=dt)

    method.__name__ = name
    return method


for _name, _dt in [("float", _dtype.float32), ("double", _dtype.float64),
                   ("half", _dtype.float16), ("bfloat16", _dtype.bfloat16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                   ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool),
                   ("cfloat", _dtype.complex64), ("cdouble", _dtype.complex128)]:
    setattr(Tensor, _name, _dtype_method(_name, _dt))


def _clone_backward(node, g):
    return (g,)


@tensor_method
def clone(self, *, memory_format=None) -> Tensor:
    """A copy with its own memory; gradients flow back to ``self``."""
    out = wrap(kernel(self._be, "contiguous")(self._data), self)
    if self._rg and state.grad_enabled:
        record(out, _clone_backward, "CloneBackward0", (self,))
    return out


@tensor_method
def contiguous(self, memory_format=None) -> Tensor:
    return self if self.is_contiguous() else self.clone()


@tensor_method
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def _new_filled(maker):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return maker(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)

    return method


Tensor.new_zeros = _new_filled(zeros)
Tensor.new_ones = _new_filled(ones)
Tensor.new_empty = _new_filled(empty)


@tensor_method
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


@tensor_method
def copy_(self, src, non_blocking=False) -> Tensor:
    """Copy ``src`` (broadcast, any dtype and device) into ``self``."""
    from .inplace import assign

    if not isinstance(src, Tensor):
        src = tensor(src, dtype=self.dtype, device=self.device)
    if src.dtype is not self.dtype:
        src = src.to(self.dtype)  # copy_ casts freely, unlike arithmetic in-place ops
    return assign(self, src)


@tensor_method
def fill_(self, value) -> Tensor:
    from .inplace import assign

    if isinstance(value, Tensor):
        return assign(self, value.to(self.dtype).expand(self.shape))
    return assign(self, full((), value, dtype=self.dtype, device=self.device))


@tensor_method
def zero_(self) -> Tensor:
    return self.fill_(0)


def scalar_tensor(value, *, dtype=None, device=None) -> Tensor:
    return full((), value, dtype=dtype or _dtype.get_default_dtype(), device=device)


def complex(real, imag) -> Tensor:  # noqa: A001
    return real.to(real.dtype.to_complex()) + imag.to(imag.dtype.to_complex()) * 1j


def polar(abs, angle) -> Tensor:  # noqa: A002
    return complex(abs * angle.cos(), abs * angle.sin())



from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
