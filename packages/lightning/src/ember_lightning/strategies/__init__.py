"""Strategies: how the model, the data and the optimizer steps are placed on devices.

:class:`SingleDeviceStrategy` (one device) and :class:`DDPStrategy` (one process per device, over
``ember.distributed``); both subclass :class:`Strategy`.
"""

from ember_lightning.strategies.ddp import DDPStrategy
from ember_lightning.strategies.strategy import SingleDeviceStrategy, Strategy

__all__ = ["DDPStrategy", "SingleDeviceStrategy", "Strategy"]
