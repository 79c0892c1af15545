"""``CUDABackend``: ember's ``cuda`` device on CuPy arrays.

The backend is registered whether or not this machine can run it: CuPy is imported and the GPUs
are counted on the first question (``is_available()``, or the first tensor on ``cuda``), and
when that fails ``is_available()`` answers False and ``unavailable_reason()`` says why, which
ember puts in the error of any ``device="cuda"`` request.

The kernels are written against an ``ArrayAPI`` (``array_api.py``): CuPy here, NumPy in the
plugin's own tests (``CUDABackend(api_factory=..., name=...)``) so that their Python logic is
checked by the conformance kit on machines without a GPU.
"""

from __future__ import annotations

import numpy as np

import ember.backends as eb

from . import fast_conv, fast_fft, fast_math, fast_nn, fused, primitives
from .array_api import ArrayAPI
from .availability import Unavailable, load_cupy_arrays


class CUDABackend(eb.Backend):
    """The ``cuda`` device: tensors on CuPy arrays, one device index per GPU.

    Args:
        api_factory: returns the ``ArrayAPI`` to run on, or raises ``Unavailable`` (default:
            CuPy on this machine's GPUs).
        name: the device type (default ``"cuda"``).

    Examples::

        >>> import ember
        >>> if ember.cuda.is_available():
        ...     x = ember.randn(4, 4, device="cuda")
        ...     y = (x @ x).relu().cpu()
    """

    name = "cuda"

    def __init__(self, api_factory=load_cupy_arrays, name: str | None = None):
        super().__init__()
        if name is not None:
            self.name = name
        self._api_factory = api_factory
        self._api: ArrayAPI | None = None
        self._reason: str | None = None
        self._namespace: dict | None = None

    # ---- finding the device ------------------------------------------------------------------
    def _probe(self) -> ArrayAPI | None:
        if self._api is None and self._reason is None:
            try:
                api = self._api_factory()
            except Unavailable as exc:
                self._reason = str(exc)
                return None
            self.kernels = build_kernels(api)
            self._api = api
        return self._api

    @property
    def api(self) -> ArrayAPI:
        """The array library in use; RuntimeError (with the reason) where there is none."""
        api = self._probe()
        if api is None:
            raise RuntimeError(f"ember's '{self.name}' backend is not available: {self._reason}")
        return api

    def is_available(self) -> bool:
        return self._probe() is not None

    def unavailable_reason(self) -> str:
        self._probe()
        return self._reason or f"'{self.name}' is available"

    def device_count(self) -> int:
        api = self._probe()
        return api.device_count() if api is not None else 0

    def current_device(self) -> int:
        return self.api.current_device()

    def device_index(self, array) -> int | None:
        return self.api.device_of(array)

    def synchronize(self, index: int | None = None) -> None:
        self.api.synchronize(index)

    def manual_seed(self, seed: int) -> None:
        """Seed CuPy's generator on every device. (ember's random functions draw on the host
        from ``ember.manual_seed``'s generator, so results are the same on every device;
        CuPy's own generators serve code that calls CuPy next to ember.)"""
        api = self._probe()
        if api is None:
            return
        for index in range(api.device_count()):
            if api.fused:
                with api.on_device(index):
                    api.xp.random.seed(int(seed) & 0xFFFF_FFFF)

    def namespace(self) -> dict:
        api = self._probe()
        if api is not None and not api.fused:
            return {}  # a test instance on host arrays: no CUDA runtime to expose
        if self._namespace is None:  # built once: ember.cuda.Stream stays one class
            from .namespace import functions

            self._namespace = functions(self)
        return self._namespace

    # ---- moving data ---------------------------------------------------------------------------
    def from_numpy(self, array: np.ndarray, index: int | None = None):
        return self.api.from_host(array, index)

    def to_numpy(self, array) -> np.ndarray:
        return self.api.to_host(array)

    def strides(self, array) -> tuple:
        return self.api.strides(array)

    def storage_offset(self, array) -> int:
        return self.api.storage_offset(array)


def build_kernels(api: ArrayAPI) -> dict:
    """Every kernel of the backend for ``api``: the primitives, the fast paths written on
    ``api.xp``, and (CuPy only) the CUDA C fast paths, which replace some of the latter."""
    table = primitives.kernels(api)
    table.update(fast_math.kernels(api))
    table.update(fast_nn.kernels(api))
    table.update(fast_conv.kernels(api))
    table.update(fast_fft.kernels(api))
    if api.fused:
        table.update(fused.kernels(api))
    table = {name: api.finish_kernel(name, fn) for name, fn in table.items()}
    if api.device_count() > 1:
        table = {name: _on_operand_device(api, fn) for name, fn in table.items()}
    return table


def _on_operand_device(api: ArrayAPI, kernel):
    """With several GPUs, run ``kernel`` with its first array operand's device current: CuPy
    launches on the current device, which may not be the one holding the operands."""
    ndarray = api.xp.ndarray

    def run(*args, **kwargs):
        for a in args:
            if isinstance(a, (list, tuple)) and a and isinstance(a[0], ndarray):
                a = a[0]  # cat's list of arrays
            if isinstance(a, ndarray):
                with api.on_device(api.device_of(a)):
                    return kernel(*args, **kwargs)
        return kernel(*args, **kwargs)  # creation kernels choose their device themselves

    run.__name__ = getattr(kernel, "__name__", "kernel")
    return run
