"""``repr(tensor)`` in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np


def tensor_repr(t) -> str:
    from ._dtype import float32, get_default_dtype, int64

    arr = np.asarray(t._be.to_numpy(t._data))
    if arr.dtype.name == "bfloat16":
        arr = arr.astype(np.float32)
    prefix = "tensor("
    if arr.size == 0 and arr.ndim == 1:
        body = "[]"
    else:
        body = np.array2string(arr, separator=", ", prefix=prefix, precision=4,
                               suppress_small=False, threshold=1000, edgeitems=3,
                               floatmode="maxprec_equal" if arr.dtype.kind == "f" else "maxprec")
    extras = []
    if t._device.type != "cpu":
        extras.append(f"device='{t._device}'")
    default = get_default_dtype() if t.dtype.is_floating_point else int64
    if t.dtype is not default and t.dtype.name not in ("bool",) and \
            not (t.dtype.is_complex and t.dtype.name == "complex64" and default is float32):
        extras.append(f"dtype={t.dtype!r}")
    if arr.size == 0 and arr.ndim != 1:
        extras.insert(0, f"size={tuple(arr.shape)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
