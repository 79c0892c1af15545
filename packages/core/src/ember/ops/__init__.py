"""Every op, importable as ``ember.<op>``. Each submodule also attaches its ops as Tensor methods."""

from . import primitives  # noqa: F401
from .creation import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .indexing import *  # noqa: F403
from .joining import *  # noqa: F403
from .linear import *  # noqa: F403
from .reduction import *  # noqa: F403
from .reduction import return_types  # noqa: F401 - ember.return_types
from .shape import *  # noqa: F403
from .softmax import *  # noqa: F403
from .sorting import *  # noqa: F403
from .special_math import *  # noqa: F403
