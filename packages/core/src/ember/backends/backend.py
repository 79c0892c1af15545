"""The ``Backend`` base class: what a device plugin gives ember.

A backend owns an array type (NumPy arrays, CuPy arrays, OpenCL buffers…). Arrays must expose
``.shape`` (a tuple) and ``.dtype`` (a NumPy dtype). Everything else goes through ``kernels``:
a dict from op name to a function on those arrays. ``ember.ops.primitives.PRIMITIVES`` lists
the kernels every backend must provide and their signatures; any other op name in ``kernels`` is
a fast path that the dispatcher prefers to the op's decomposition.
"""

from __future__ import annotations

import numpy as np


class Backend:
    #: the device type users write: ``ember.device(name)``, ``tensor.to(name)``
    name: str = ""

    def __init__(self):
        self.kernels: dict = {}

    # ---- the device ------------------------------------------------------------------------
    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def is_accelerator(self) -> bool:
        """Whether this backend's devices are accelerators that an automatic choice (a Trainer's
        ``accelerator="auto"``) should prefer to the CPU; False for drivers that run on the host
        CPU (such as an OpenCL driver for CPUs)."""
        return True

    def unavailable_reason(self) -> str:
        """Why ``is_available()`` is False (no driver, no device, library missing)."""
        return "no device"

    def synchronize(self, index: int | None = None) -> None:
        """Wait for queued work on the device to finish (a no-op for synchronous backends)."""

    def device_index(self, array) -> int | None:
        """The index of the device that holds ``array`` (None for index-less devices)."""
        return None

    def current_device(self) -> int:
        """The index a bare device name (``"cuda"``) resolves to when a tensor is made."""
        return 0

    def namespace(self) -> dict:
        """Extra functions exposed as ``ember.<name>.<function>`` (memory stats, streams…)."""
        return {}

    def manual_seed(self, seed: int) -> None:
        """Seed the device's own generators, for backends that register random fast paths."""

    # ---- moving data -----------------------------------------------------------------------
    def from_numpy(self, array: np.ndarray, index: int | None):
        """Copy a host array to device ``index``."""
        raise NotImplementedError(f"backend '{self.name}' must implement from_numpy")

    def to_numpy(self, array) -> np.ndarray:
        """Copy a device array to the host."""
        raise NotImplementedError(f"backend '{self.name}' must implement to_numpy")

    # ---- view metadata, in elements ------------------------------------------------------
    def strides(self, array) -> tuple:
        raise NotImplementedError(f"backend '{self.name}' must implement strides")

    def storage_offset(self, array) -> int:
        raise NotImplementedError(f"backend '{self.name}' must implement storage_offset")

    def __repr__(self) -> str:
        return f"<ember backend '{self.name}' with {len(self.kernels)} kernels>"
