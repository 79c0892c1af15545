"""``ember.cuda.*``: the device helpers of ``torch.cuda`` on CuPy's runtime.

ember itself answers ``is_available()``, ``device_count()``, ``synchronize()`` and
``manual_seed()`` for every backend; this module adds the CUDA ones: the current device,
memory statistics of CuPy's memory pool, streams and events (for timing), device names, and
``set_float32_matmul_precision`` (TF32 for float32 GEMMs, like
``torch.set_float32_matmul_precision``). Every function raises ``RuntimeError`` saying why
when the backend is not available.
"""

from __future__ import annotations

from typing import NamedTuple

from .memory import PeakTracker


def functions(backend) -> dict:
    """The ``ember.cuda`` functions for ``backend`` (a ``CUDABackend``)."""
    rt = _Runtime(backend)
    return {
        "current_device": rt.current_device, "set_device": rt.set_device,
        "device": rt.device_context, "get_device_name": rt.get_device_name,
        "get_device_capability": rt.get_device_capability,
        "get_device_properties": rt.get_device_properties,
        "is_bf16_supported": rt.is_bf16_supported, "mem_get_info": rt.mem_get_info,
        "memory_allocated": rt.memory_allocated, "max_memory_allocated": rt.max_memory_allocated,
        "memory_reserved": rt.memory_reserved,
        "reset_peak_memory_stats": rt.reset_peak_memory_stats, "empty_cache": rt.empty_cache,
        "Stream": rt.Stream, "Event": rt.Event, "stream": rt.stream_context,
        "current_stream": rt.current_stream, "default_stream": rt.default_stream,
        "set_float32_matmul_precision": rt.set_float32_matmul_precision,
        "get_float32_matmul_precision": rt.get_float32_matmul_precision,
    }


class DeviceProperties(NamedTuple):
    """What ``ember.cuda.get_device_properties()`` reports (``torch.cuda``'s field names)."""

    name: str
    major: int
    minor: int
    total_memory: int
    multi_processor_count: int


def _index(device) -> int | None:
    """A device argument (None, int, "cuda:1", ember.device) as an index (None: current)."""
    if device is None or isinstance(device, int):
        return device
    import ember

    return ember.device(device).index


class _Runtime:
    def __init__(self, backend):
        self._backend = backend
        # one class each per backend, so that isinstance() works; CuPy is looked up on use
        self.Stream = type("Stream", (Stream,), {"_rt": self, "__module__": "ember.cuda"})
        self.Event = type("Event", (Event,), {"_rt": self, "__module__": "ember.cuda"})

    @property
    def cupy(self):
        api = self._backend.api  # RuntimeError with the reason when there is no GPU
        if not api.fused:
            raise RuntimeError(f"ember.{self._backend.name}'s runtime functions need CuPy")
        return api.xp

    def _device(self, device) -> int:
        index = _index(device)
        return self.cupy.cuda.runtime.getDevice() if index is None else index

    # ---- devices -------------------------------------------------------------------------------
    def current_device(self) -> int:
        return self.cupy.cuda.runtime.getDevice()

    def set_device(self, device) -> None:
        index = _index(device)
        if index is not None:
            self.cupy.cuda.Device(index).use()

    def device_context(self, device):
        """``with ember.cuda.device(1): ...`` makes device 1 current inside the block."""
        index = _index(device)
        return self._backend.api.on_device(index)

    def get_device_name(self, device=None) -> str:
        return self.get_device_properties(device).name

    def get_device_capability(self, device=None) -> tuple:
        props = self.get_device_properties(device)
        return props.major, props.minor

    def get_device_properties(self, device=None) -> DeviceProperties:
        props = self.cupy.cuda.runtime.getDeviceProperties(self._device(device))
        name = props["name"]
        return DeviceProperties(name.decode() if isinstance(name, bytes) else str(name),
                                props["major"], props["minor"], props["totalGlobalMem"],
                                props["multiProcessorCount"])

    def is_bf16_supported(self) -> bool:
        """bfloat16 tensor-core math: compute capability 8.0 (Ampere) or newer."""
        return self.get_device_capability()[0] >= 8

    def mem_get_info(self, device=None) -> tuple:
        """(free, total) bytes of the device, as the driver reports them."""
        with self._backend.api.on_device(self._device(device)):
            return self.cupy.cuda.runtime.memGetInfo()

    # ---- memory (CuPy's memory pool) -----------------------------------------------------------
    def _tracker(self) -> PeakTracker:
        return PeakTracker.install(self.cupy)

    def memory_allocated(self, device=None) -> int:
        """Bytes held by tensors (and other CuPy arrays) on the device."""
        return self._tracker().used(self._device(device))

    def max_memory_allocated(self, device=None) -> int:
        """The peak of ``memory_allocated`` since the start or ``reset_peak_memory_stats``."""
        return self._tracker().peak(self._device(device))

    def reset_peak_memory_stats(self, device=None) -> None:
        self._tracker().reset_peak(self._device(device))

    def memory_reserved(self, device=None) -> int:
        """Bytes the pool holds from the driver: allocated plus cached for reuse."""
        return self._tracker().reserved(self._device(device))

    def empty_cache(self) -> None:
        """Return the pool's unused cached blocks to the driver."""
        self.cupy.get_default_memory_pool().free_all_blocks()

    # ---- streams and events --------------------------------------------------------------------
    def stream_context(self, stream):
        """``with ember.cuda.stream(s): ...``: kernels inside the block are queued on ``s``."""
        import contextlib

        return contextlib.nullcontext() if stream is None else stream._stream

    def current_stream(self, device=None):
        with self._backend.api.on_device(_index(device)):
            return self.Stream(_wrap=self.cupy.cuda.get_current_stream())

    def default_stream(self, device=None):
        with self._backend.api.on_device(_index(device)):
            return self.Stream(_wrap=self.cupy.cuda.Stream.null)

    # ---- TF32 ----------------------------------------------------------------------------------
    def set_float32_matmul_precision(self, precision: str) -> None:
        """"highest": float32 GEMMs in float32 (the default); "high" or "medium": on TF32
        tensor cores (10-bit mantissa products, float32 accumulation)."""
        from cupy._core import _routines_linalg as linalg

        if precision not in ("highest", "high", "medium"):
            raise ValueError(f"Invalid precision '{precision}': expected 'highest', 'high' or "
                             "'medium'")
        self.cupy  # noqa: B018 - raises the reason when unavailable
        mode = linalg.COMPUTE_TYPE_DEFAULT if precision == "highest" else \
            linalg.COMPUTE_TYPE_TF32
        linalg.set_compute_type(self.cupy.float32, mode)

    def get_float32_matmul_precision(self) -> str:
        from cupy._core import _routines_linalg as linalg

        self.cupy  # noqa: B018
        tf32 = linalg.get_compute_type(self.cupy.float32) == linalg.COMPUTE_TYPE_TF32
        return "high" if tf32 else "highest"


class Stream:
    """A CUDA stream (``torch.cuda.Stream``): work queued on it runs in order, and concurrently
    with other streams'. ``with ember.cuda.stream(s):`` queues ember's kernels on it.

    Args:
        device: the device whose stream it is (default: the current one).
        priority: lower numbers run first when streams compete (CUDA's convention).
    """

    _rt: _Runtime

    def __init__(self, device=None, priority: int = 0, *, _wrap=None):
        cupy = self._rt.cupy
        if _wrap is not None:
            self._stream = _wrap
        else:
            with self._rt._backend.api.on_device(_index(device)):
                self._stream = cupy.cuda.Stream(non_blocking=True, priority=priority or None)

    def wait_event(self, event) -> None:
        self._stream.wait_event(event._event)

    def wait_stream(self, stream) -> None:
        self._stream.wait_event(stream._stream.record())

    def record_event(self, event=None):
        event = event if event is not None else self._rt.Event()
        event.record(self)
        return event

    def query(self) -> bool:
        return self._stream.done

    def synchronize(self) -> None:
        self._stream.synchronize()

    @property
    def cuda_stream(self) -> int:
        return self._stream.ptr

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and other._stream.ptr == self._stream.ptr

    def __hash__(self) -> int:
        return hash(self._stream.ptr)

    def __repr__(self) -> str:
        return f"<ember.cuda.Stream cuda_stream={self._stream.ptr:#x}>"


class Event:
    """A CUDA event (``torch.cuda.Event``): a marker in a stream, for synchronisation and timing.

    Args:
        enable_timing: record times, for ``start.elapsed_time(end)`` (milliseconds).
        blocking: ``synchronize()`` sleeps instead of spinning.
        interprocess: shareable between processes.

    Examples::

        >>> start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
        >>> start.record(); y = x @ x; end.record(); end.synchronize()
        >>> ms = start.elapsed_time(end)
    """

    _rt: _Runtime

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):
        self._event = self._rt.cupy.cuda.Event(block=blocking, disable_timing=not enable_timing,
                                               interprocess=interprocess)

    def record(self, stream=None) -> None:
        self._event.record(None if stream is None else stream._stream)

    def wait(self, stream=None) -> None:
        cupy = self._rt.cupy
        target = cupy.cuda.get_current_stream() if stream is None else stream._stream
        target.wait_event(self._event)

    def query(self) -> bool:
        return self._event.done

    def synchronize(self) -> None:
        self._event.synchronize()

    def elapsed_time(self, end_event) -> float:
        return self._rt.cupy.cuda.get_elapsed_time(self._event, end_event._event)
