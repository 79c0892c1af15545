"""``ember.optim``: optimizers and learning-rate schedulers with PyTorch's names, options,
numbers and ``state_dict`` layout (``import ember.optim as optim`` ≈ ``torch.optim``)."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import (
           Optimizer,
           register_optimizer_step_post_hook,
           register_optimizer_step_pre_hook,
)
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "lr_scheduler", "register_optimizer_step_post_hook",
           "register_optimizer_step_pre_hook"]
