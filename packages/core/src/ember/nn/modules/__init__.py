"""Every layer class, importable as ``ember.nn.<Layer>``. One file per family (PyTorch's split)."""

from .container import *  # noqa: F403
from .module import *  # noqa: F403
