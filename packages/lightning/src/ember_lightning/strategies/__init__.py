"""Strategies: how the model, the data and the optimizer steps are placed on devices.

Only :class:`SingleDeviceStrategy` exists now; distributed strategies subclass :class:`Strategy`.
"""

from ember_lightning.strategies.strategy import SingleDeviceStrategy, Strategy

__all__ = ["SingleDeviceStrategy", "Strategy"]
