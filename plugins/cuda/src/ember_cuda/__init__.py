"""ember-cuda: ember's ``cuda`` device on NVIDIA GPUs, through CuPy.

Installing the package is all it takes: ember finds the backend through the ``ember.backends``
entry point, and ``ember.cuda`` gives the device helpers (``is_available()``, memory stats,
streams, events…)::

    import ember
    if ember.cuda.is_available():
        model = model.to("cuda")
"""

from .array_api import ArrayAPI, CupyArrays
from .availability import Unavailable
from .backend import CUDABackend

__all__ = ["ArrayAPI", "CUDABackend", "CupyArrays", "Unavailable"]
