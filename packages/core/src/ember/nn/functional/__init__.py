"""``ember.nn.functional`` (imported as ``F``): the functional form of every layer and loss.

One module per family; each is written in ember ops (differentiable, on every backend) with CPU
fast paths registered as backend kernels where they matter for speed.
"""

from ...ops.joining import pad  # noqa: F401
from .activation import *  # noqa: F403 - softmax/log_softmax with PyTorch's dim=None form
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .vision import *  # noqa: F403
