"""ember-opencl: the ``opencl`` device for ember, on any OpenCL driver through PyOpenCL.

Installing the package is enough: ember finds it through the ``ember.backends`` entry point.

Examples::

    >>> import ember
    >>> x = ember.randn(64, 128, device="opencl")
    >>> (x @ x.T).sum().item()            # runs on opencl:0
    >>> model.to("opencl")                # any ember.nn model trains there
    >>> ember.opencl.memory_allocated()   # bytes held by tensors
"""

from .array import CLArray
from .backend import OpenCLBackend
from .runtime import KernelBuildError, OutOfMemoryError

__all__ = ["CLArray", "OpenCLBackend", "KernelBuildError", "OutOfMemoryError"]
