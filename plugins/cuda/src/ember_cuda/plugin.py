"""The ``ember.backends`` entry point of ember-cuda: registers the ``cuda`` backend.

Registration never imports CuPy or touches a GPU; the backend finds them on first use.
"""

from __future__ import annotations

import ember.backends as eb

from .backend import CUDABackend


@eb.hookimpl
def ember_register_backends(registry):
    registry.register(CUDABackend())
