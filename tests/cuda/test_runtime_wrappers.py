"""``ember.cuda``'s runtime functions without a GPU: the CuPy names they call exist in the
installed CuPy, and their logic (argument mapping, peak-memory tracking, stream/event wrappers)
is right when driven by a recording stand-in for CuPy's runtime.

The stand-in only checks what ember-cuda asks of CuPy; that CuPy then does the right thing on
a GPU is for test_cuda_gpu.py.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np
import pytest

from ember_cuda import ArrayAPI, CUDABackend
from ember_cuda.memory import PeakTracker

cupy = pytest.importorskip("cupy")

# every CuPy name the plugin uses outside its kernels (array functions are NumPy's API)
CUPY_NAMES = [
    "cuda.runtime.getDeviceCount", "cuda.runtime.getDevice", "cuda.runtime.getDeviceProperties",
    "cuda.runtime.memGetInfo", "cuda.Device", "cuda.Device.use", "cuda.Device.synchronize",
    "cuda.Stream", "cuda.Stream.null", "cuda.Stream.wait_event", "cuda.Stream.record",
    "cuda.Stream.done", "cuda.Stream.synchronize", "cuda.Stream.null.ptr", "cuda.Event",
    "cuda.Event.record", "cuda.Event.synchronize", "cuda.Event.done", "cuda.get_elapsed_time",
    "cuda.get_current_stream", "cuda.set_allocator", "cuda.get_allocator", "cuda.MemoryPointer",
    "cuda.MemoryPointer.mem", "cuda.MemoryPointer.ptr", "cuda.MemoryPointer.device_id",
    "get_default_memory_pool", "cuda.MemoryPool.used_bytes", "cuda.MemoryPool.total_bytes",
    "cuda.MemoryPool.free_all_blocks", "RawModule", "RawModule.get_function",
    "ElementwiseKernel", "random.seed", "lib.stride_tricks.as_strided", "ndarray.device",
    "ndarray.get", "ndarray.data",
]


@pytest.mark.parametrize("path", CUPY_NAMES)
def test_cupy_has_the_names_the_plugin_calls(path):
    obj = cupy
    for part in path.split("."):
        obj = getattr(obj, part)


def test_tf32_switch_reads_cupys_setting_and_checks_its_argument():
    """(Switching TF32 on asks CuPy for the GPU's compute capability: test_cuda_gpu.py.)"""
    ns = _namespace(_FakeApi(cupy))
    assert ns["get_float32_matmul_precision"]() == "highest"
    with pytest.raises(ValueError, match="Invalid precision 'low'"):
        ns["set_float32_matmul_precision"]("low")


# ---- a recording stand-in for CuPy's runtime ------------------------------------------------------

class _Recorder:
    def __init__(self):
        self.calls = []


def _fake_cupy(rec: _Recorder):
    class Device:
        current = 0

        def __init__(self, index=None):
            self.id = Device.current if index is None else index

        def __enter__(self):
            rec.calls.append(("enter device", self.id))
            self._previous, Device.current = Device.current, self.id

        def __exit__(self, *exc):
            Device.current = self._previous

        def use(self):
            Device.current = self.id

        def synchronize(self):
            rec.calls.append(("synchronize device", self.id))

    class Event:
        def __init__(self, block=False, disable_timing=False, interprocess=False):
            self.options = (block, disable_timing, interprocess)
            self.done = True

        def record(self, stream=None):
            rec.calls.append(("record", stream))

        def synchronize(self):
            rec.calls.append(("synchronize event", self))

    class Stream:
        def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
            self.ptr = 0 if null else 0x1000 + len(rec.calls)
            self.options = (non_blocking, priority)
            self.done = True

        def wait_event(self, event):
            rec.calls.append(("wait", self, event))

        def record(self, event=None):
            event = event or Event()
            rec.calls.append(("stream record", self, event))
            return event

        def synchronize(self):
            rec.calls.append(("synchronize stream", self))

        def __enter__(self):
            rec.calls.append(("enter stream", self))

        def __exit__(self, *exc):
            rec.calls.append(("exit stream", self))

    Stream.null = Stream(null=True)
    props = {"name": b"Fake GPU", "major": 9, "minor": 0, "totalGlobalMem": 80 * 2 ** 30,
             "multiProcessorCount": 132}
    runtime = types.SimpleNamespace(getDevice=lambda: Device.current,
                                    getDeviceProperties=lambda i: dict(props),
                                    memGetInfo=lambda: (70 * 2 ** 30, 80 * 2 ** 30))
    cuda = types.SimpleNamespace(
        runtime=runtime, Device=Device, Stream=Stream, Event=Event,
        get_elapsed_time=lambda start, end: 2.5, get_current_stream=lambda: Stream.null)
    return types.SimpleNamespace(cuda=cuda, float32=np.float32)


class _FakeApi(ArrayAPI):
    """An ArrayAPI whose runtime is ``module`` (the stand-in, or CuPy itself for the TF32
    test); ``fused`` marks it as CuPy-like so that the namespace is built."""

    fused = True

    def __init__(self, module):
        self.xp = module

    def on_device(self, index):
        return contextlib.nullcontext() if index is None else self.xp.cuda.Device(index)


def _namespace(api) -> dict:
    """``ember.cuda``'s functions of a backend running on ``api`` (its kernels are not built:
    the stand-in has no array functions)."""
    backend = CUDABackend()
    backend._api = api
    return backend.namespace()


@pytest.fixture
def ns_and_calls():
    rec = _Recorder()
    api = _FakeApi(_fake_cupy(rec))
    return _namespace(api), rec.calls, api


def test_device_functions(ns_and_calls):
    ns, calls, api = ns_and_calls
    assert ns["get_device_name"]() == "Fake GPU"
    assert ns["get_device_capability"](0) == (9, 0)
    props = ns["get_device_properties"]("cuda:0")
    assert (props.total_memory, props.multi_processor_count) == (80 * 2 ** 30, 132)
    assert ns["is_bf16_supported"]() is True
    assert ns["mem_get_info"]() == (70 * 2 ** 30, 80 * 2 ** 30)
    ns["set_device"]("cuda:1")
    assert ns["current_device"]() == 1
    with ns["device"](0):
        assert ns["current_device"]() == 0
    assert ns["current_device"]() == 1
    ns["set_device"](0)


def test_events_map_to_cupy_events(ns_and_calls):
    ns, calls, _ = ns_and_calls
    start = ns["Event"](enable_timing=True)
    end = ns["Event"](blocking=True)
    assert start._event.options == (False, False, False)  # timing enabled: not disabled
    assert end._event.options == (True, True, False)
    stream = ns["Stream"](priority=-1)
    assert stream._stream.options == (True, -1)
    start.record()
    end.record(stream)
    assert calls[-2:] == [("record", None), ("record", stream._stream)]
    assert start.elapsed_time(end) == 2.5 and start.query()
    end.wait(stream)
    assert calls[-1] == ("wait", stream._stream, end._event)


def test_streams_wait_record_and_context(ns_and_calls):
    ns, calls, _ = ns_and_calls
    side = ns["Stream"]()
    main = ns["current_stream"]()
    assert isinstance(side, ns["Stream"]) and main == ns["default_stream"]()
    assert main != side and main.cuda_stream == 0
    side.wait_stream(main)
    assert calls[-2][0] == "stream record" and calls[-2][1] is main._stream
    assert calls[-1][:2] == ("wait", side._stream) and calls[-1][2] is calls[-2][2]
    event = side.record_event()
    assert isinstance(event, ns["Event"]) and calls[-1] == ("record", side._stream)
    with ns["stream"](side):
        pass
    assert calls[-2:] == [("enter stream", side._stream), ("exit stream", side._stream)]
    with ns["stream"](None):  # torch.cuda.stream(None) is a no-op
        pass
    side.synchronize()
    assert calls[-1] == ("synchronize stream", side._stream)


class _FakePool:
    def __init__(self):
        self.used = 0

    def used_bytes(self):
        return self.used

    def total_bytes(self):
        return self.used + 512


def test_peak_tracker_records_the_peak_at_allocations():
    pool = _FakePool()

    def allocate(size):
        pool.used += size
        return types.SimpleNamespace(device_id=0)

    fake = types.SimpleNamespace(
        get_default_memory_pool=lambda: pool,
        cuda=types.SimpleNamespace(get_allocator=lambda: allocate,
                                   Device=lambda i: contextlib.nullcontext()))
    tracker = PeakTracker(fake)
    tracker.malloc(1000)
    tracker.malloc(500)
    pool.used -= 1200  # two frees: the pool's usage falls, the peak stays
    assert (tracker.used(0), tracker.peak(0), tracker.reserved(0)) == (300, 1500, 812)
    tracker.reset_peak(0)
    assert tracker.peak(0) == 300
    tracker.malloc(100)
    assert tracker.peak(0) == 400
