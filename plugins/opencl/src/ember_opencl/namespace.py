"""``ember.opencl.*`` beyond is_available / device_count / synchronize (which the core answers
itself): device selection, names and memory statistics, named like ``torch.cuda``'s."""

from __future__ import annotations

from .runtime import OutOfMemoryError, runtime


def _device(device=None):
    """The runtime Device for None (current), an index, "opencl:1" or an ember.device."""
    if device is None:
        return runtime.device(runtime.current)
    if isinstance(device, str):
        kind, _, idx = device.partition(":")
        if kind != "opencl":
            raise ValueError(f"expected an opencl device, got '{device}'")
        return runtime.device(int(idx) if idx else runtime.current)
    index = getattr(device, "index", device)
    return runtime.device(runtime.current if index is None else int(index))


def set_device(device) -> None:
    """Make ``device`` the one a bare ``"opencl"`` means."""
    runtime.current = _device(device).index


def current_device() -> int:
    return runtime.current


def get_device_name(device=None) -> str:
    return _device(device).cl_device.name.strip()


def supports_float64(device=None) -> bool:
    return _device(device).has_fp64


def memory_allocated(device=None) -> int:
    """Bytes held by live tensors (pooled buffers in use)."""
    return _device(device).pool.active_bytes


def max_memory_allocated(device=None) -> int:
    return _device(device).peak_bytes


def reset_peak_memory_stats(device=None) -> None:
    dev = _device(device)
    dev.peak_bytes = dev.pool.active_bytes


def memory_reserved(device=None) -> int:
    """Bytes the buffer pool holds from the driver (in use plus cached for reuse)."""
    return _device(device).pool.managed_bytes


def empty_cache() -> None:
    """Give the pool's cached (unused) buffers back to the driver."""
    for dev in runtime.devices():
        dev.pool.free_held()


def memory_stats(device=None) -> dict:
    return _device(device).memory_stats()


namespace = {f.__name__: f for f in (set_device, current_device, get_device_name,
                                      supports_float64, memory_allocated, max_memory_allocated,
                                      reset_peak_memory_stats, memory_reserved, empty_cache,
                                      memory_stats)}
namespace["OutOfMemoryError"] = OutOfMemoryError
