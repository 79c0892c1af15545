"""OpenCL devices as ember sees them: discovery, one context + in-order queue + buffer pool per
device, program builds with readable errors, memory statistics.

Devices are numbered across all platforms in the order the ICD loader lists them
(``opencl:0``, ``opencl:1``…). Nothing is touched before the first use of an ``opencl`` tensor.
"""

from __future__ import annotations

import os
from importlib import resources

import numpy as np

from . import dtypes

# work-group size of the one-work-item-per-element kernels
WG = 256
# the most work-groups of the reductions' one-group-per-output mode (those loop over outputs)
MAX_GROUPS = 1024


class OutOfMemoryError(RuntimeError):
    """An OpenCL allocation failed (like ``torch.cuda.OutOfMemoryError``, a RuntimeError)."""


class KernelBuildError(RuntimeError):
    """An OpenCL program failed to compile; the message holds the driver's build log."""


def _import_cl():
    try:
        import pyopencl as cl
    except ImportError as exc:  # PyOpenCL missing, or libOpenCL not loadable
        raise RuntimeError(f"the OpenCL backend needs PyOpenCL: {exc}") from exc
    return cl


def _list_devices() -> list:
    """Every OpenCL device of every platform; RuntimeError saying why when there is none."""
    cl = _import_cl()
    try:
        platforms = cl.get_platforms()
    except cl.Error as exc:  # PLATFORM_NOT_FOUND_KHR: no ICD installed
        raise RuntimeError(
            f"no OpenCL platform found ({exc}). Install an OpenCL driver, e.g. "
            "`apt install pocl-opencl-icd` (runs kernels on the CPU) or your GPU vendor's") from None
    found = []
    for platform in platforms:
        try:
            found.extend(platform.get_devices())
        except cl.Error:  # a platform without devices (DEVICE_NOT_FOUND)
            continue
    if not found:
        names = ", ".join(p.name for p in platforms)
        raise RuntimeError(f"OpenCL platforms found ({names}) but none has a device")
    return found


class Device:
    """One OpenCL device: its context, queue, buffer pool and compiled programs."""

    def __init__(self, index: int, cl_device):
        cl = _import_cl()
        from pyopencl.tools import ImmediateAllocator, MemoryPool

        self.cl = cl
        self.index = index
        self.name = f"opencl:{index}"
        self.cl_device = cl_device
        self.context = cl.Context([cl_device])
        self.queue = cl.CommandQueue(self.context)
        # EMBER_OPENCL_NO_FP64=1 makes a device behave as if it lacked cl_khr_fp64 (tests,
        # and checking a program runs on such devices)
        self.has_fp64 = "cl_khr_fp64" in cl_device.extensions and \
            os.environ.get("EMBER_OPENCL_NO_FP64", "0") != "1"
        self.has_int64_atomics = "cl_khr_int64_base_atomics" in cl_device.extensions
        self.max_alloc = cl_device.max_mem_alloc_size
        # CPU drivers run barrier-free kernels best (matmul picks its GEMM by this)
        self.is_cpu = bool(cl_device.type & cl.device_type.CPU)
        self.wg = min(WG, cl_device.max_work_group_size)
        # ImmediateAllocator makes the driver really allocate (lazy drivers would otherwise
        # fail later, inside a kernel); the pool keeps freed blocks for the next op
        self.pool = MemoryPool(ImmediateAllocator(self.queue))
        self.peak_bytes = 0
        self.alloc_count = 0
        self.alloc_retries = 0
        self._programs: dict = {}
        self._kernels: dict = {}
        self.dummy = cl.Buffer(self.context, cl.mem_flags.READ_WRITE, 8)  # for scalar operands

    def __repr__(self) -> str:
        return f"<{self.name}: {self.cl_device.name.strip()}>"

    # ---- memory ------------------------------------------------------------------------------
    def alloc(self, nbytes: int):
        """A pooled buffer of at least ``nbytes`` (OpenCL forbids empty buffers)."""
        nbytes = max(int(nbytes), 8)
        if nbytes > self.max_alloc:
            raise OutOfMemoryError(
                f"OpenCL out of memory: tried to allocate {_fmt_bytes(nbytes)} on {self.name} "
                f"({self.cl_device.name.strip()}), whose largest allocation is "
                f"{_fmt_bytes(self.max_alloc)}")
        try:
            buf = self.pool.allocate(nbytes)
        except self.cl.Error:
            self.alloc_retries += 1
            self.pool.free_held()  # return cached blocks to the driver and try once more
            try:
                buf = self.pool.allocate(nbytes)
            except self.cl.Error as exc:
                raise OutOfMemoryError(
                    f"OpenCL out of memory: tried to allocate {_fmt_bytes(nbytes)} on "
                    f"{self.name}; {_fmt_bytes(self.pool.active_bytes)} in use by tensors "
                    f"({exc})") from None
        self.alloc_count += 1
        active = self.pool.active_bytes
        if active > self.peak_bytes:
            self.peak_bytes = active
        return buf

    def memory_stats(self) -> dict:
        return {"allocated_bytes.all.current": self.pool.active_bytes,
                "allocated_bytes.all.peak": self.peak_bytes,
                "reserved_bytes.all.current": self.pool.managed_bytes,
                "num_alloc_retries": self.alloc_retries,
                "allocation.all.allocated": self.alloc_count,
                "active.all.current": self.pool.active_blocks,
                "inactive_split.all.current": self.pool.held_blocks}

    # ---- programs ----------------------------------------------------------------------------
    def kernel(self, family: str, dtype: np.dtype, name: str):
        """Kernel ``name`` of program ``family`` (``elementwise``, ``reduce``…) specialised to
        ``dtype``. Each program is built once per process (PyOpenCL caches the binary on disk
        across processes). In the sources every kernel is prefixed ``k_`` (``exp`` would clash
        with the OpenCL builtin)."""
        key = (family, dtype, name)
        k = self._kernels.get(key)
        if k is None:
            if dtype == dtypes.HALF:  # float16: only conversions (ops run in float32)
                if not name.startswith("cast_"):
                    raise TypeError(f"the OpenCL backend has no '{name}' kernel for float16 "
                                    "tensors (their ops run in float32)")
                family = "half"
            elif dtype.kind == "c":  # complex tensors have one program of their own
                if family not in ("elementwise", "gemm"):
                    raise TypeError(f"the OpenCL backend has no '{name}' kernel for "
                                    f"{dtypes.name(dtype)} tensors")
                family = "complex"
            program = self.program(family, dtype)
            try:
                k = self._kernels[key] = self.cl.Kernel(program, "k_" + name)
            except self.cl.Error:
                raise TypeError(f"the OpenCL backend has no '{name}' kernel for "
                                f"{dtypes.name(dtype)} tensors") from None
        return k

    def program(self, family: str, dtype: np.dtype):
        key = (family, dtype)
        prg = self._programs.get(key)
        if prg is None:
            defs = dtypes.defines(dtype, self.has_fp64)
            if self.has_fp64:
                defs["HAS_FP64"] = "1"
            if self.has_int64_atomics:
                defs["HAS_INT64_ATOMICS"] = "1"
            prg = self._programs[key] = self.build(family, defs, f"{family}[{dtypes.name(dtype)}]")
        return prg

    def build(self, family: str, defines: dict, label: str):
        """Compile ``kernels/common.cl`` + ``scalar_math.cl`` + ``kernels/<family>.cl`` with
        ``defines`` prepended."""
        head = "".join(f"#define {k} {v}\n" for k, v in defines.items())
        return self.build_source(head + "".join(_source(f) for f in
                                                ("common", "scalar_math", family)), label)

    def build_source(self, source: str, label: str):
        """A built program; KernelBuildError with the driver's build log when it fails."""
        try:
            return self.cl.Program(self.context, source).build(
                options=["-cl-fp32-correctly-rounded-divide-sqrt"])
        except self.cl.Error as exc:
            raise KernelBuildError(
                f"OpenCL program '{label}' failed to build on {self.name} "
                f"({self.cl_device.name.strip()}). Build log:\n{exc}") from None

    # ---- launching ---------------------------------------------------------------------------
    def launch(self, kernel, n: int, *args) -> None:
        """Run ``kernel`` with one work-item per item, ``n`` items (rounded up to whole groups)."""
        if n <= 0:
            return
        wg = self.wg
        kernel(self.queue, (-(-n // wg) * wg,), (wg,), *args)


_SOURCES: dict = {}


def _source(family: str) -> str:
    text = _SOURCES.get(family)
    if text is None:
        text = _SOURCES[family] = resources.files(__package__).joinpath(
            "kernels", f"{family}.cl").read_text()
    return text


def _fmt_bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.2f} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1024
    return str(n)


class Runtime:
    """The devices of this process, found on first use."""

    def __init__(self):
        self._devices: list | None = None
        self._error: str | None = None
        self.current = 0  # the index a bare "opencl" means (ember.opencl.set_device)

    def devices(self) -> list:
        if self._devices is None and self._error is None:
            try:
                self._devices = [Device(i, d) for i, d in enumerate(_list_devices())]
            except RuntimeError as exc:
                self._error = str(exc)
        if self._devices is None:
            raise RuntimeError(f"the OpenCL backend cannot run: {self._error}")
        return self._devices

    def available(self) -> tuple[bool, str]:
        try:
            self.devices()
            return True, ""
        except RuntimeError as exc:
            return False, str(exc)

    def device(self, index: int | None) -> Device:
        devices = self.devices()
        index = 0 if index is None else index
        if not 0 <= index < len(devices):
            raise RuntimeError(f"opencl:{index} does not exist: this machine has "
                               f"{len(devices)} OpenCL device(s) "
                               f"({', '.join(repr(d) for d in devices)})")
        return devices[index]


runtime = Runtime()
