"""``OpenCLBackend``: the ``opencl`` device type — its kernel table and device queries."""

from __future__ import annotations

from functools import partial

import ember.backends as eb
from ember.ops.primitives import BINARY, UNARY

from . import (
    array,
    conv,
    elementwise,
    half,
    indexing,
    matmul,
    movement,
    nn_ops,
    norm,
    reduction,
)
from .namespace import namespace
from .runtime import runtime

#: elementwise fast paths of kernels/elementwise.cl (ember casts integer inputs of the float
#: functions to float first; relu, square, isinf and isfinite exist for every dtype)
FAST_UNARY = ["expm1", "log1p", "log2", "log10", "exp2", "tan", "sinh", "cosh", "asin", "acos",
              "asinh", "acosh", "atanh", "reciprocal", "sigmoid", "silu", "relu", "square",
              "isinf", "isfinite"]


def _primitive_kernels() -> dict:
    k = {name: partial(elementwise.unary, name) for name in UNARY}
    k.update({name: partial(elementwise.binary, name) for name in BINARY})
    k.update(where=elementwise.where, astype=elementwise.astype, copy_=elementwise.copy_,
             full=elementwise.full, arange=elementwise.arange)
    k.update(sum=reduction.sum_, prod=reduction.prod, amax=reduction.amax, amin=reduction.amin,
             argmax=reduction.argmax, argmin=reduction.argmin, cumsum=reduction.cumsum,
             cumprod=reduction.cumprod, sort=reduction.sort)
    k.update(view=movement.view, permute=movement.permute, expand=movement.expand,
             slice=movement.slice_, as_strided=movement.as_strided,
             contiguous=movement.contiguous, cat=movement.cat)
    k.update(index=indexing.index, index_put=indexing.index_put, nonzero=indexing.nonzero,
             matmul=matmul.matmul)
    return k


class OpenCLBackend(eb.Backend):
    """The ``opencl`` device: any OpenCL 1.2 device, through PyOpenCL."""

    name = "opencl"

    def __init__(self):
        super().__init__()
        self.kernels = _primitive_kernels()
        # fast paths: non-primitive ops the dispatcher prefers to their decompositions
        self.kernels.update({name: partial(elementwise.unary, name) for name in FAST_UNARY})
        self.kernels.update(nn_ops.KERNELS)
        self.kernels.update(conv.KERNELS)
        self.kernels.update(norm.KERNELS)
        # float16 tensors are stored as half and computed in float32 (half.py)
        self.kernels = {name: half.via_float32(name, k) for name, k in self.kernels.items()}

    # ---- the device ----------------------------------------------------------------------------
    def is_available(self) -> bool:
        return runtime.available()[0]

    def unavailable_reason(self) -> str:
        return runtime.available()[1]

    def device_count(self) -> int:
        return len(runtime.devices()) if self.is_available() else 0

    def is_accelerator(self) -> bool:
        """True when a device is a GPU or accelerator: a CPU driver such as pocl is worth
        choosing explicitly (``"opencl"``), but not by a Trainer's ``accelerator="auto"``."""
        if not self.is_available():
            return False
        cl = runtime.devices()[0].cl
        return any(d.cl_device.type & (cl.device_type.GPU | cl.device_type.ACCELERATOR)
                   for d in runtime.devices())

    def synchronize(self, index=None) -> None:
        devices = runtime.devices() if index is None else [runtime.device(index)]
        for device in devices:
            device.queue.finish()

    def device_index(self, arr) -> int:
        return arr.storage.device.index

    def current_device(self) -> int:
        return runtime.current

    def namespace(self) -> dict:
        return namespace

    # ---- moving data --------------------------------------------------------------------------
    def from_numpy(self, arr, index=None):
        return array.from_numpy(arr, index)

    def to_numpy(self, arr):
        return array.to_numpy(arr)

    def strides(self, arr) -> tuple:
        return arr.strides

    def storage_offset(self, arr) -> int:
        return arr.offset
