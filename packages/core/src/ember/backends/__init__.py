"""The device registry: every backend (the built-in CPU one included) registers here through pluggy.

A backend is an object with a device ``name`` and a table of ``kernels`` (op name → function on
the backend's arrays). Plugins announce themselves in the entry-point group ``ember.backends``::

    # my_backend/plugin.py
    import ember.backends as eb

    @eb.hookimpl
    def ember_register_backends(registry):
        registry.register(MyBackend())

Entry points are read lazily: on the first use of a device type that is not registered yet, not
at ``import ember``. The kernels a backend must provide are listed in ``ember.ops.primitives``.
"""

from __future__ import annotations

import pluggy

from .backend import Backend

__all__ = ["Backend", "hookimpl", "hookspec", "registry", "get_backend", "available_backends"]

hookspec = pluggy.HookspecMarker("ember")
hookimpl = pluggy.HookimplMarker("ember")


class _Specs:
    @hookspec
    def ember_register_backends(self, registry):
        """Register ``Backend`` objects with ``registry.register(backend)``."""


class Registry:
    """Backends by device type. ``get(name)`` loads entry-point plugins the first time it misses."""

    def __init__(self):
        self._backends: dict[str, Backend] = {}
        self._pm = pluggy.PluginManager("ember")
        self._pm.add_hookspecs(_Specs)
        self._entry_points_loaded = False
        self.load_errors: dict[str, str] = {}  # plugin name → why it failed to load

    def register(self, backend: Backend) -> None:
        if not isinstance(backend, Backend):
            raise TypeError(f"register() expects an ember.backends.Backend, got {type(backend).__name__}")
        self._backends[backend.name] = backend

    def add_plugin(self, module) -> None:
        """Register a plugin module (or object) holding an ``ember_register_backends`` hookimpl."""
        if not self._pm.is_registered(module):
            self._pm.register(module)
            module.ember_register_backends(registry=self)

    def load_entry_points(self) -> None:
        """Import every plugin in the ``ember.backends`` entry-point group (once)."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group="ember.backends"):
            try:
                self.add_plugin(ep.load())
            except Exception as exc:  # a broken plugin must not break ember; say why on use
                self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"

    def get(self, name: str) -> Backend:
        backend = self._backends.get(name)
        if backend is None:
            self.load_entry_points()
            backend = self._backends.get(name)
        if backend is None:
            why = self.load_errors.get(name)
            hint = f" (its plugin failed to load: {why})" if why else \
                f"; install its plugin (e.g. `pip install ember-{name}`)" if name in ("cuda", "opencl") else ""
            raise RuntimeError(f"no ember backend is registered for device type '{name}'{hint}. "
                               f"Registered: {', '.join(sorted(self._backends))}")
        return backend

    def names(self) -> list[str]:
        self.load_entry_points()
        return sorted(self._backends)


registry = Registry()


def get_backend(name: str) -> Backend:
    return registry.get(name)


def available_backends() -> list[str]:
    """Names of every registered backend whose device is present on this machine."""
    return [n for n in registry.names() if registry.get(n).is_available()]


def _register_cpu() -> None:
    from . import cpu  # the CPU backend is a plugin like any other, registered by the same hook

    registry.add_plugin(cpu)


_register_cpu()
