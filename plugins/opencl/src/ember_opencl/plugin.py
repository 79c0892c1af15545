"""The entry point ember loads (group ``ember.backends``): registers the ``opencl`` backend.

Registering imports nothing heavy and touches no driver: devices are looked up on first use.
"""

import ember.backends as eb

from .backend import OpenCLBackend


@eb.hookimpl
def ember_register_backends(registry):
    registry.register(OpenCLBackend())
