"""``Tensor``: a thin object over a backend array, plus the autograd fields.

Only the array, its device and its backend are set for every new tensor (the hot path); the
autograd fields are class-level defaults until an op sets them. Math methods are attached by the
op modules in ``ember.ops`` (``@tensor_method``), so each op is written in one place.
"""

from __future__ import annotations

import numpy as np

from ._device import device as _device_cls
from ._dtype import _FROM_NP, LEGACY_NAMES, from_numpy_dtype
from .autograd import graph as _graph
from .autograd.engine import run_backward
from .autograd.graph import AccumulateGrad, RemovableHandle

_new = object.__new__


class Tensor:
    __slots__ = ("_data", "_device", "_be", "__dict__", "__weakref__")

    # autograd fields; instances override them only when they differ
    grad_fn = None  # the Node that made this tensor (None for leaves)
    _rg = False  # requires_grad
    _out_nr = 0  # which output of grad_fn this is
    grad = None
    _acc = None  # AccumulateGrad node of a leaf
    _vc = None  # [version], shared by a tensor and its views
    _base = None  # the tensor whose memory a view shares
    _vv = None  # a view's version when its grad_fn was made (ops/shape.py: refresh_view)
    _retains_grad = False
    _inference = False
    __array_priority__ = 1000  # ndarray ⊕ Tensor defers to Tensor's reflected operators

    def __new__(cls, *args, **kwargs):
        """``Tensor(data)`` or ``Tensor(*sizes)``: like ``torch.Tensor``, a float tensor."""
        from .ops.creation import _legacy_constructor

        return _legacy_constructor(cls, *args, **kwargs)

    # ---- metadata --------------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    @property
    def dtype(self):
        try:
            return _FROM_NP[self._data.dtype]
        except KeyError:
            return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def ndim(self) -> int:
        return len(self._data.shape)

    def dim(self) -> int:
        return len(self._data.shape)

    def numel(self) -> int:
        n = 1
        for s in self._data.shape:
            n *= s
        return n

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    def stride(self, dim=None):
        strides = self._be.strides(self._data)
        return strides if dim is None else strides[_wrap_dim(dim, len(strides))]

    def storage_offset(self) -> int:
        return self._be.storage_offset(self._data)

    def is_contiguous(self, memory_format=None) -> bool:
        expected = 1
        for size, stride in reversed(list(zip(self._data.shape, self.stride()))):
            if size != 1 and stride != expected:
                return False
            expected *= size
        return True

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True):
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        if requires_grad and self._inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        self._rg = bool(requires_grad) or self.grad_fn is not None
        return self

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self._device.type == "cpu"

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_inference(self) -> bool:
        return self._inference

    def as_subclass(self, cls):
        """A ``cls`` (a subclass of Tensor) instance over the same data as ``self``, like
        ``torch.Tensor.as_subclass``: in-place changes show in both, and the result stays
        attached to ``self``'s autograd graph."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(f"as_subclass expects a subclass of Tensor, got {cls!r}")
        if self._rg and self.grad_fn is None:
            self._accumulator()  # a leaf: gradients reaching the alias accumulate into self
        out = _new(cls)
        out._data, out._device, out._be = self._data, self._device, self._be
        # autograd fields (grad_fn, requires_grad, accumulator, view base), not the grad itself
        out.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("grad", "_retains_grad")})
        out._vc = self._version_counter()  # one memory, one version counter
        return out

    @property
    def _version(self) -> int:
        return self._version_counter()[0]

    def _version_counter(self) -> list:
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def _bump_version(self) -> None:
        self._version_counter()[0] += 1

    def _accumulator(self) -> AccumulateGrad:
        acc = self._acc
        if acc is None:
            acc = self._acc = AccumulateGrad(self)
        return acc

    # ---- autograd --------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``; see ``ember.autograd.backward``."""
        if gradient is None and inputs is None and not create_graph and self._rg and \
                self._data.dtype.kind == "f":
            # the common `loss.backward()`: skip the general argument handling
            if self._data.shape and self.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            ones = self._be.kernels["full"](self._data.shape, 1, self._data.dtype,
                                            self._device.index)
            seed = wrap(ones, self)
            run_backward((self,), (seed,), bool(retain_graph), False)
            return
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """A tensor sharing this one's memory, outside the graph."""
        out = _new(Tensor)
        out._data, out._device, out._be = self._data, self._device, self._be
        out._vc = self._version_counter()  # shares memory: in-place changes count for both
        return out

    def detach_(self):
        if self._base is not None and self._base._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn, self._rg, self._out_nr = None, False, 0
        return self

    def register_hook(self, hook) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            return self._accumulator().register_prehook(hook, 0)
        return self.grad_fn.register_prehook(hook, self._out_nr)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """``hook(tensor)`` runs after a gradient was accumulated into this leaf's ``.grad``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        return self._accumulator().register_post_accumulate_hook(hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                t.grad = grad.detach().clone() if t.grad is None else t.grad + grad.detach()

        self.register_hook(keep)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value) -> None:
        self._data, self._device, self._be = value._data, value._device, value._be

    # ---- conversion ------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array: shares memory on the CPU, like PyTorch."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._device.type != "cpu" and not force:
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return np.asarray(self._be.to_numpy(self._data))

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self._be.to_numpy(self._data))
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._be.to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return np.asarray(self._be.to_numpy(self._data)).tolist()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.dtype.is_complex or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.shape:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._repr import tensor_repr

        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self.detach().cpu().numpy(), str(self._device), self._rg))

    def type(self, dtype=None):
        if dtype is None:
            kind = LEGACY_NAMES[self.dtype.name]
            prefix = "" if self._device.type == "cpu" else f"{self._device.type}."
            return f"ember.{prefix}{kind}Tensor"
        return self.to(dtype)

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)


class Size(tuple):
    """``tensor.shape``: a tuple of ints, with ``numel()`` like ``torch.Size``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out


def _rebuild(array, device, requires_grad):
    from .ops.creation import from_numpy

    t = from_numpy(np.array(array)).to(device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _wrap_dim(dim: int, ndim: int) -> int:
    """A possibly negative dimension → its index, with PyTorch's IndexError when out of range."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def wrap(data, like: Tensor) -> Tensor:
    """A new tensor over backend array ``data`` on ``like``'s device (the op hot path)."""
    t = _new(Tensor)
    t._data, t._device, t._be = data, like._device, like._be
    return t


def wrap_on(data, device: _device_cls, backend) -> Tensor:
    t = _new(Tensor)
    t._data, t._device, t._be = data, device, backend
    return t


def tensor_method(fn=None, *, name: str | None = None):
    """Attach an op to ``Tensor`` as a method (``@tensor_method`` or ``tensor_method(fn, name=)``)."""

    def attach(f):
        setattr(Tensor, name or f.__name__, f)
        return f

    return attach(fn) if fn is not None else attach


_graph._Tensor, _graph._wrap = Tensor, wrap  # the graph module needs both, without a cycle

