"""``ember.nn.utils``: gradient clipping, parameter/vector conversion and RNN sequence packing."""

from . import rnn  # noqa: F401
from .clip_grad import *  # noqa: F403
from .convert_parameters import *  # noqa: F403
