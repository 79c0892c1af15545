"""``ember.cuda``, ``ember.opencl``, ``ember.<any backend>``: per-backend helper namespaces.

``is_available()`` and ``device_count()`` answer cleanly (False / 0) when the backend's plugin or
its device is missing; anything else a backend offers comes from ``Backend.namespace()``.
"""

from __future__ import annotations

from .backends import registry

_KNOWN = ("cuda", "opencl")  # answered even without their plugin, like PyTorch's torch.cuda
_cache: dict = {}


class BackendNamespace:
    def __init__(self, name: str):
        self._name = name

    def _backend(self):
        try:
            return registry.get(self._name)
        except RuntimeError:
            return None

    def is_available(self) -> bool:
        backend = self._backend()
        return backend is not None and backend.is_available()

    def device_count(self) -> int:
        return self._backend().device_count() if self.is_available() else 0

    def synchronize(self, device=None) -> None:
        if self.is_available():
            self._backend().synchronize(getattr(device, "index", device))

    def manual_seed(self, seed: int) -> None:
        backend = self._backend()
        if backend is not None:
            backend.manual_seed(seed)

    manual_seed_all = manual_seed

    def __getattr__(self, attr):
        backend = self._backend()
        extra = backend.namespace() if backend is not None else {}
        if attr in extra:
            return extra[attr]
        raise AttributeError(f"ember.{self._name} has no attribute '{attr}'"
                             + ("" if backend else f" (no '{self._name}' backend is installed)"))

    def __repr__(self) -> str:
        return f"<ember.{self._name} namespace>"


def backend_namespace(name: str):
    if name in _cache:
        return _cache[name]
    if name not in _KNOWN and name not in registry._backends:
        registry.load_entry_points()
        if name not in registry._backends:
            return None
    ns = _cache[name] = BackendNamespace(name)
    return ns
