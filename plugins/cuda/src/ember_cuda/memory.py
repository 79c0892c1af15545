"""Memory statistics on CuPy's memory pool: ``memory_allocated``, ``max_memory_allocated``.

CuPy's pool knows how many bytes are in use but keeps no peak. ``PeakTracker`` wraps CuPy's
allocator (``cupy.cuda.set_allocator``) and reads the pool's usage after every allocation: the
peak can only rise at an allocation, so the maximum of those readings is the exact peak (in the
pool's 512-byte rounding, like PyTorch's). It is installed once, when the backend first finds a
GPU, and costs one Python call per allocation.
"""

from __future__ import annotations


class PeakTracker:
    _installed: PeakTracker | None = None

    def __init__(self, cupy):
        self._cupy = cupy
        self._pool = cupy.get_default_memory_pool()
        self._inner = cupy.cuda.get_allocator()
        self._peaks: dict[int, int] = {}

    @classmethod
    def install(cls, cupy) -> PeakTracker:
        """The process's tracker, installed as CuPy's allocator on first call."""
        if cls._installed is None:
            tracker = cls(cupy)
            cupy.cuda.set_allocator(tracker.malloc)
            cls._installed = tracker
        return cls._installed

    def malloc(self, size: int):
        mem = self._inner(size)
        used = self._pool.used_bytes()  # the current device's pool: where mem was allocated
        device = mem.device_id
        if used > self._peaks.get(device, 0):
            self._peaks[device] = used
        return mem

    def _on(self, device: int):
        return self._cupy.cuda.Device(device)

    def used(self, device: int) -> int:
        with self._on(device):
            return self._pool.used_bytes()

    def reserved(self, device: int) -> int:
        with self._on(device):
            return self._pool.total_bytes()

    def peak(self, device: int) -> int:
        return max(self._peaks.get(device, 0), self.used(device))

    def reset_peak(self, device: int) -> None:
        self._peaks[device] = self.used(device)
