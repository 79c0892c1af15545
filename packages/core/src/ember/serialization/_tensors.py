"""Tensors in PyTorch's pickle vocabulary, both ways.

Writing: ``TorchPickler`` pickles ember objects under PyTorch's names (a tensor becomes
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``
with the storage as a persistent id ``('storage', torch.FloatStorage, key, location, numel)``),
so ``torch.load(weights_only=True)`` reads ember's files. ``StorageTable`` decides which storages
to write: tensors that share memory (views of one base) share one storage, like in PyTorch.

Reading: ``torch_globals()`` maps those names to ember's rebuild functions; a ``Storage`` is one
flat buffer from the file, and every tensor rebuilt from it is a view of that same memory.
"""

from __future__ import annotations

import math
import pickle
from collections import OrderedDict

import numpy as np

from .._device import device as _device
from .._dtype import _BY_NAME, LEGACY_NAMES, bfloat16, dtype
from .._tensor import Size, Tensor, wrap_on

# ---- names ------------------------------------------------------------------------------------

#: torch's legacy storage class (``torch.FloatStorage``) of each dtype, and back
STORAGE_NAMES = {name: f"{legacy}Storage" for name, legacy in LEGACY_NAMES.items()}
_DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                  "int": "int32", "short": "int16", "cfloat": "complex64",
                  "cdouble": "complex128"}


class StorageType:
    """What ``torch.FloatStorage`` & co. stand for in a checkpoint: the storage's dtype."""

    __slots__ = ("dtype",)

    def __init__(self, dt: dtype | None):
        self.dtype = dt  # None: torch.UntypedStorage (bytes)

    def __repr__(self) -> str:
        return f"StorageType({self.dtype})"


def torch_globals() -> dict:
    """The allow-listed ``torch.*`` names and the ember objects they stand for."""
    table: dict = {
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter_with_state,
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": rebuild_device_tensor_from_cpu,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch.Tensor": Tensor,
        "torch.nn.parameter.Parameter": new_parameter,
        "torch.Size": Size,
        "torch.device": _device,
    }
    for name, dt in _BY_NAME.items():
        table[f"torch.{name}"] = dt
        table[f"torch.{STORAGE_NAMES[name]}"] = StorageType(dt)
    for alias, name in _DTYPE_ALIASES.items():
        table[f"torch.{alias}"] = _BY_NAME[name]
    untyped = StorageType(None)
    table["torch.UntypedStorage"] = table["torch.storage.UntypedStorage"] = untyped
    return table


# ---- storages ---------------------------------------------------------------------------------

class Storage:
    """A flat buffer of one dtype, read from a checkpoint (``torch.UntypedStorage``'s role).

    Tensors rebuilt from it are views of it (``tensor._base`` is the storage's flat tensor): they
    write through to each other and share a version counter. ``map_location`` callables receive one (with the saved location) and return
    it, or a moved copy (``storage.cuda()``, ``storage.to("cpu")``), or None.
    """

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor):
        self._tensor = tensor  # 1-D, contiguous, not a view

    @property
    def dtype(self) -> dtype:
        return self._tensor.dtype

    @property
    def device(self) -> _device:
        return self._tensor.device

    def size(self) -> int:
        return self._tensor.numel()

    __len__ = size

    def nbytes(self) -> int:
        return self._tensor.numel() * self._tensor.element_size()

    def to(self, device) -> Storage:
        return self if _device(device) == self.device else Storage(self._tensor.to(device))

    def cpu(self) -> Storage:
        return self.to("cpu")

    def cuda(self, device=None) -> Storage:
        return self.to("cuda" if device is None else
                       device if isinstance(device, (str, _device)) else f"cuda:{device}")

    def __repr__(self) -> str:
        return f"<ember Storage of {self.size()} {self.dtype} on {self.device}>"

    def view(self, size, stride, offset: int) -> Tensor:
        """The tensor with this geometry (in elements) over this storage's memory."""
        size, stride, offset = _check_geometry(size, stride, offset, self.size())
        s = self._tensor
        if s._device.type == "cpu":
            # an ndarray over the storage's buffer (not np.lib.stride_tricks, whose result hides
            # its base): the CPU backend then reports the true storage offset
            host = s._data
            data = np.ndarray(size, host.dtype, host.view(np.uint8), offset * host.itemsize,
                              tuple(st * host.itemsize for st in stride))
        else:
            from ..ops._dispatch import kernel

            data = kernel(s._be, "as_strided")(s._data, size, stride, offset)
        # a view of the storage, as make_view would link it: tensors that shared a storage when
        # saved share memory and a version counter again, and save again as one storage
        t = wrap_on(data, s._device, s._be)
        t._base = s._base if s._base is not None else s
        t._vc = s._version_counter()
        t._vv = t._vc[0]
        return t

    def reinterpret(self, dt: dtype) -> Storage:
        """These bytes as ``dt`` (``_rebuild_tensor_v3`` over an untyped storage); a copy."""
        if dt is self.dtype:
            return self
        from ..ops.creation import from_numpy

        host = np.ascontiguousarray(self._tensor.detach().cpu().numpy()).view(np.uint8)
        if host.size % dt.itemsize:
            raise RuntimeError(f"corrupted checkpoint: a storage of {host.size} bytes cannot hold "
                               f"{dt} elements")
        return Storage(from_numpy(host.view(dt.np).copy()).to(self.device))


def _check_geometry(size, stride, offset, numel: int):
    """Validate a tensor's geometry against its storage: a file must not make a view that reads
    outside the buffer (NumPy would read whatever memory is there)."""
    ok = isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride) and \
        all(type(v) is int for v in (*size, *stride, offset))
    if not ok:
        raise RuntimeError(f"corrupted checkpoint: invalid tensor geometry size={size!r:.60} "
                           f"stride={stride!r:.60} offset={offset!r:.20}")
    if offset < 0 or any(v < 0 for v in (*size, *stride)):
        raise RuntimeError(f"corrupted checkpoint: negative size, stride or offset (size={size}, "
                           f"stride={stride}, offset={offset})")
    if math.prod(size) and offset + sum((n - 1) * st for n, st in zip(size, stride)) >= numel:
        raise RuntimeError(f"corrupted checkpoint: a tensor of size {list(size)}, stride "
                           f"{list(stride)} and offset {offset} does not fit in its storage of "
                           f"{numel} elements")
    return size, stride, offset


# ---- rebuild functions (the targets of torch._utils.* in a checkpoint) --------------------------

def _storage(storage) -> Storage:
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError(f"expected a storage, got {type(storage).__name__}")
    return storage


def _finish(t: Tensor, requires_grad) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def rebuild_tensor(storage, storage_offset, size, stride):
    return _storage(storage).view(tuple(size), tuple(stride), storage_offset)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                      backward_hooks=None, metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a tensor over ``storage`` (backward hooks are not
    restored, as in PyTorch's weights-only loading)."""
    if metadata:
        raise RuntimeError(f"unsupported tensor metadata in checkpoint: {metadata!r:.80}")
    t = _storage(storage).view(tuple(size), tuple(stride), storage_offset)
    return _finish(t, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      dtype_, metadata=None):
    if not isinstance(dtype_, dtype):
        raise pickle.UnpicklingError(f"expected a dtype, got {dtype_!r:.40}")
    return rebuild_tensor_v2(_storage(storage).reinterpret(dtype_), storage_offset, size, stride,
                             requires_grad, backward_hooks, metadata)


def new_parameter(data=None, requires_grad=True):
    from ..nn.parameter import Parameter

    if data is not None and not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"Parameter data must be a tensor, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def rebuild_parameter(data, requires_grad, backward_hooks=None):
    return new_parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_attributes(new_parameter(data, requires_grad), state)


def rebuild_device_tensor_from_cpu(data, dtype_, device, requires_grad):
    if not isinstance(data, Tensor) or not isinstance(dtype_, dtype):
        raise pickle.UnpicklingError("_rebuild_device_tensor_from_cpu_tensor: bad arguments")
    return _finish(data.to(device=_device(device), dtype=dtype_), requires_grad)


def rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: ``func(*args)`` as ``new_type`` (Tensor or
    Parameter here), plus the tensor's Python attributes."""
    from . import _unpickler

    ret = _unpickler._call(func, args)
    if new_type is new_parameter and not _is_parameter(ret):
        ret = new_parameter(ret, ret.requires_grad)
    elif new_type is not Tensor and new_type is not new_parameter:
        raise _unpickler.WeightsUnpicklingError(f"unsupported tensor subclass {new_type!r:.60}")
    return _set_attributes(ret, state)


def _set_attributes(t, state):
    """A tensor's Python attributes (``tensor.__dict__``): only plain names, into the instance
    dict, so nothing (no property setter) runs."""
    if isinstance(state, tuple) and len(state) == 2:
        state, slots = state
        if slots:
            raise RuntimeError("unsupported tensor slot state in checkpoint")
    if state:
        if not isinstance(state, dict) or not all(isinstance(k, str) and not k.startswith("__")
                                                  for k in state):
            raise RuntimeError("unsupported tensor state in checkpoint")
        t.__dict__.update(state)
    return t


def _is_parameter(t) -> bool:
    return type(t).__name__ == "Parameter" and type(t).__module__ == "ember.nn.parameter"


# ---- writing ----------------------------------------------------------------------------------

class _Global:
    """A global that the pickler writes by name (``GLOBAL 'torch FloatStorage'``) without
    importing it: torch need not be installed to write torch's names."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        key = (module, name)
        g = cls._cache.get(key)
        if g is None:
            g = cls._cache[key] = object.__new__(cls)
            g.module, g.name = module, name
        return g

    def __call__(self, *args):  # pickle's save_reduce wants a callable; this one is a name only
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints, not "
                        "callable in ember")


class _StorageRef:
    """A storage to be written: pickled as its persistent id."""

    __slots__ = ("pid", "entry")

    def __init__(self, pid: tuple, entry):
        self.pid, self.entry = pid, entry


class _Entry:
    __slots__ = ("key", "flat", "base_offset", "keep", "ref", "_host")

    def host(self) -> np.ndarray:
        """The storage's bytes as a flat, contiguous host array."""
        if self._host is None:
            self._host = np.ascontiguousarray(self.flat.cpu().numpy())
        return self._host


class StorageTable:
    """The storages of the tensors being saved, in the order they are first met.

    Tensors that share memory with one base tensor (views) share the base's storage and keep
    their offsets and strides. A view whose geometry cannot be expressed over its base's memory
    (the backend reports something inconsistent) gets its own storage: values stay exact.
    """

    def __init__(self, legacy: bool):
        self._legacy = legacy
        self._by_memory: dict = {}
        self.entries: list[_Entry] = []

    def _new_entry(self, flat: Tensor, base_offset, keep) -> _Entry:
        e = _Entry()
        e.key, e.flat, e.base_offset, e.keep, e._host = str(len(self.entries)), flat, base_offset, \
            keep, None
        name = STORAGE_NAMES.get(flat.dtype.name)
        if name is None:
            raise RuntimeError(f"ember.save: cannot save tensors of dtype {flat.dtype}")
        pid = ("storage", _Global("torch", name), e.key, str(flat.device), flat.numel())
        e.ref = _StorageRef(pid + (None,) if self._legacy else pid, e)
        self.entries.append(e)
        return e

    def locate(self, t: Tensor):
        """``(storage ref, storage offset, stride)`` for tensor ``t``."""
        root = t._base if t._base is not None else t
        e = self._by_memory.get(id(root._data))
        if e is None:
            flat = root.detach()
            if flat.is_contiguous():
                e = self._new_entry(flat.reshape(-1), flat.storage_offset(), root._data)
            else:  # its own layout is not dense: save it contiguous, without its views
                e = self._new_entry(flat.contiguous().reshape(-1), None, root._data)
            self._by_memory[id(root._data)] = e
        if t.numel() == 0:  # any strides address nothing; PyTorch writes contiguous ones
            return e.ref, 0, _c_strides(t.shape)
        if t._data is root._data:
            return e.ref, 0, t.stride() if e.base_offset is not None else _c_strides(t.shape)
        if e.base_offset is not None:
            offset, stride = t.storage_offset() - e.base_offset, t.stride()
            if _view_matches(e, t, offset, stride):
                return e.ref, offset, stride
        own = self._by_memory.get(("view", id(t._data)))
        if own is None:
            own = self._new_entry(t.detach().contiguous().reshape(-1), 0, t._data)
            self._by_memory[("view", id(t._data))] = own
        return own.ref, 0, _c_strides(t.shape)


def _c_strides(shape) -> tuple:
    strides, n = [], 1
    for s in reversed(tuple(shape)):
        strides.append(n)
        n *= max(s, 1)
    return tuple(reversed(strides))


def _view_matches(e: _Entry, t: Tensor, offset: int, stride) -> bool:
    """Whether ``t`` reads exactly these elements of the storage (bitwise)."""
    numel = e.flat.numel()
    if offset < 0 or any(s < 0 for s in stride):
        return False
    if t.numel() == 0:
        return True
    if offset + sum((n - 1) * st for n, st in zip(t.shape, stride)) >= numel:
        return False
    host = e.host()
    item = host.itemsize
    view = np.lib.stride_tricks.as_strided(host[offset:], tuple(t.shape),
                                           tuple(s * item for s in stride), writeable=False)
    want = np.ascontiguousarray(t.detach().cpu().numpy())
    return np.array_equal(np.ascontiguousarray(view).view(np.uint8), want.view(np.uint8))


_DTYPE_TYPES = (dtype, type(bfloat16))


class TorchPickler(pickle._Pickler):
    """Pickles ember objects as PyTorch does (protocol 2 by default) with the storages of tensors
    as persistent ids collected in ``storages``.

    The pure-Python pickler is used because it lets a name be written without importing it
    (``_Global``); only the small object structure is pickled, never tensor data.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, storages: StorageTable):
        super().__init__(file, protocol)
        self.storages = storages

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _StorageRef else None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if _is_parameter(obj):
                return (_Global("torch._utils", "_rebuild_parameter"),
                        (_PlainTensor(obj), obj.requires_grad, OrderedDict()))
            return self._reduce_tensor(obj, obj.requires_grad)
        if type(obj) is _PlainTensor:
            return self._reduce_tensor(obj.tensor, False)
        if type(obj) is _device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (_Global("torch", "device"), args)
        if type(obj) is Size:
            return (_Global("torch", "Size"), (tuple(obj),))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor, requires_grad: bool):
        ref, offset, stride = self.storages.locate(t)
        return (_Global("torch._utils", "_rebuild_tensor_v2"),
                (ref, offset, tuple(t.shape), tuple(stride), bool(requires_grad), OrderedDict()))

    def _save_global_name(self, obj: _Global):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    def _save_dtype(self, obj):
        self.save(_Global("torch", obj.name))

    def _save_bytes(self, obj: bytes):
        if self.proto >= 3:
            return pickle._Pickler.save_bytes(self, obj)
        # protocol 2 writes b"" as builtins.bytes(), which torch's weights-only loader refuses;
        # _codecs.encode works for every bytes value
        import codecs

        self.save_reduce(codecs.encode, (str(obj, "latin1"), "latin1"), obj=obj)

    dispatch[_Global] = _save_global_name
    dispatch[bytes] = _save_bytes
    for _t in _DTYPE_TYPES:
        dispatch[_t] = _save_dtype


class _PlainTensor:
    """A Parameter's data, pickled as a plain tensor (``_rebuild_parameter``'s first argument)."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor):
        self.tensor = tensor
