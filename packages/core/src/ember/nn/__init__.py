"""``ember.nn``: modules, layers, losses, ``functional``, ``init`` and ``utils`` (PyTorch's names)."""

from . import functional, init, parallel, utils  # noqa: F401
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter

__all__ = ["Buffer", "Parameter", "functional", "init", "parallel", "utils"]
