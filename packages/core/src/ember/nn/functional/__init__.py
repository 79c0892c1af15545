"""``ember.nn.functional`` (imported as ``F``): the functional form of every layer and loss.

One module per family; each is written in ember ops (differentiable, on every backend) with CPU
fast paths registered as backend kernels where they matter for speed.
"""

from ...ops.joining import pad  # noqa: F401
from ...ops.softmax import log_softmax, softmax  # noqa: F401
