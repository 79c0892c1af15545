"""Every op, importable as ``ember.<op>``. Each submodule also attaches its ops as Tensor methods."""

from . import primitives  # noqa: F401
from .creation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .indexing import *  # noqa: F403
from .reduction import *  # noqa: F403
from .shape import *  # noqa: F403
