"""``ember.utils``: helpers around the core, like ``torch.utils``.

Submodules import on first use (``ember.utils.data`` pulls in ``multiprocessing``), so that
``import ember`` stays fast.
"""

from __future__ import annotations

_SUBMODULES = {"data", "archive"}


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"ember.utils.{name}")
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
