"""How an op call runs: find the kernel, wrap the result, record the graph node.

Three ways an op runs, in this order (DESIGN.md, "Ops and dispatch"):
1. the backend registered a kernel under the op's name (a primitive, or a fast path);
2. the op has a decomposition into other ops (``@composite``);
3. neither: ``NotImplementedError`` naming the op and the device. There is no silent fallback.
"""

from __future__ import annotations

import functools

from .._dtype import default_for_kind, promote_types, promote_with_scalar, scalar_kind
from .._tensor import Tensor, wrap
from ..autograd.grad_mode import state
from ..autograd.graph import Node


def missing_kernel(name: str, backend) -> NotImplementedError:
    return NotImplementedError(f"Could not run '{name}' on device '{backend.name}': backend "
                               f"'{backend.name}' registered no kernel for it and it has no "
                               "decomposition")


def kernel(backend, name: str):
    try:
        return backend.kernels[name]
    except KeyError:
        raise missing_kernel(name, backend) from None


def record(outputs, backward, name: str, inputs, saved=(), ctx=None, multi=False):
    """Attach a graph node to ``outputs`` (a tensor, or a tuple when ``multi``)."""
    node = Node(backward, name, inputs, saved, ctx)
    if multi:
        node.out_meta = [(o.shape, o.dtype, o.device) for o in outputs]
        for i, o in enumerate(outputs):
            if o.dtype.is_floating_point or o.dtype.is_complex:
                o.grad_fn, o._out_nr, o._rg = node, i, True
    else:
        outputs.grad_fn, outputs._rg = node, True
    return outputs


def needs_grad(*tensors) -> bool:
    if not state.grad_enabled:
        return False
    for t in tensors:
        if isinstance(t, Tensor) and t._rg:
            return True
    return False


def composite(name: str, backward=None):
    """Declare a non-primitive op by its decomposition (the decorated function, in ember ops).

    A backend kernel registered under ``name`` is used instead when no gradient is needed, or
    when the op also gives its own ``backward(node, grad)`` (then ``node.saved`` holds the
    tensor inputs and ``node.ctx`` the keyword arguments). The kernel receives the tensors'
    arrays positionally and the rest as keywords.
    """

    def decorate(decomposition):
        @functools.wraps(decomposition)
        def op(x, *args, **kwargs):
            fast = x._be.kernels.get(name) if isinstance(x, Tensor) else None
            if fast is not None:
                tensors = (x,) + tuple(a for a in args if isinstance(a, Tensor))
                for t in tensors[1:]:
                    check_same_device(x, t, name)
                grad = needs_grad(*tensors)
                if not grad or backward is not None:
                    arrays = [a._data if isinstance(a, Tensor) else a for a in args]
                    out = wrap(fast(x._data, *arrays, **kwargs), x)
                    if grad:
                        record(out, backward, node_name(name), tensors, tensors, kwargs)
                    return out
            return decomposition(x, *args, **kwargs)

        op.decomposition = decomposition
        op.op_name = name
        return op

    return decorate


def node_name(name: str) -> str:
    """PyTorch's name for an op's backward node: ``index_select`` → ``IndexSelectBackward0``."""
    return "".join(p.capitalize() for p in name.split("_")) + "Backward0"


# ---- operands ---------------------------------------------------------------------------------

def check_same_device(a: Tensor, b: Tensor, name: str) -> None:
    if a._device is not b._device and a._device != b._device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a._device} and {b._device}! (when checking "
                           f"arguments for {name})")


def as_tensor_like(value, like: Tensor, dtype=None) -> Tensor:
    """A Python scalar (or array-like) as a tensor on ``like``'s device."""
    from .creation import tensor

    if isinstance(value, Tensor):
        return value
    return tensor(value, dtype=dtype if dtype is not None else like.dtype, device=like.device)


def promote(a, b, name: str):
    """Bring two operands (tensors or Python scalars) to one dtype and device (PyTorch's rules).

    Returns (a, b) where at least one is a tensor; the other may stay a Python scalar.
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if a._device is not b._device:
            a, b = _scalar_tensor_to_device(a, b, name)
        if da == db:
            return a, b
        from .._dtype import result_type

        dt = result_type(a, b)
        return a.to(dt) if a.dtype is not dt else a, b.to(dt) if b.dtype is not dt else b
    if ta:
        kind = scalar_kind(b)
        if kind is None:
            return a, as_tensor_like(b, a, dtype=None if _is_arraylike(b) else a.dtype)
        dt = promote_with_scalar(a.dtype, kind)
        return (a if dt is a.dtype else a.to(dt)), (_wrap_int(b, dt) if type(b) is int else b)
    if tb:
        kind = scalar_kind(a)
        if kind is None:
            return as_tensor_like(a, b), b
        dt = promote_with_scalar(b.dtype, kind)
        return (_wrap_int(a, dt) if type(a) is int else a), (b if dt is b.dtype else b.to(dt))
    raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                    f"{type(a).__name__} and {type(b).__name__}")


@functools.cache
def _int_range(np_dtype) -> tuple[int, int] | None:
    """(number of values, smallest value) of an integer dtype; None for other dtypes."""
    import numpy as np

    if np_dtype.kind not in "iu":
        return None
    info = np.iinfo(np_dtype)
    return info.max - info.min + 1, info.min


def _wrap_int(s: int, dt) -> int:
    """An int scalar meets an integer tensor: PyTorch casts it to the tensor's dtype, wrapping
    around like C (``uint8 & -16`` uses 240); NumPy would raise OverflowError instead."""
    r = _int_range(dt.np)
    if r is None or r[1] <= s < r[1] + r[0]:
        return s
    return (s - r[1]) % r[0] + r[1]


def _is_arraylike(x) -> bool:
    return isinstance(x, (list, tuple)) or hasattr(x, "__array__")


def _scalar_tensor_to_device(a: Tensor, b: Tensor, name: str):
    """A zero-dim CPU tensor may meet a tensor on another device, like in PyTorch."""
    if a._device == b._device:
        return a, b
    if a.ndim == 0 and a._device.type == "cpu":
        return a.to(b._device), b
    if b.ndim == 0 and b._device.type == "cpu":
        return a, b.to(a._device)
    check_same_device(a, b, name)
    return a, b


def float_dtype_for(t: Tensor):
    """The dtype a float-valued op (exp, div, mean…) computes in for this input."""
    dt = t.dtype
    return dt if dt.is_floating_point or dt.is_complex else default_for_kind("f")


__all__ = ["kernel", "record", "needs_grad", "composite", "promote", "promote_types",
           "as_tensor_like", "float_dtype_for", "missing_kernel", "check_same_device"]


def public_names(namespace: dict) -> list:
    """The ops a module defines (for ``__all__``): its public callables, not what it imported."""
    module = namespace["__name__"]
    return [k for k, v in namespace.items() if not k.startswith("_") and callable(v)
            and getattr(v, "__module__", None) == module and not isinstance(v, type)]
