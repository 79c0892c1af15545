"""GradientAccumulationScheduler: change ``trainer.accumulate_grad_batches`` by epoch."""

from __future__ import annotations

from typing import Any

from ember_lightning.callbacks.callback import Callback
from ember_lightning.utilities.exceptions import MisconfigurationException

__all__ = ["GradientAccumulationScheduler"]


class GradientAccumulationScheduler(Callback):
    """Accumulate gradients over a number of batches that depends on the epoch.

    Args:
        scheduling: ``{epoch: factor}``; from ``epoch`` on (0-based) gradients are accumulated
            over ``factor`` batches. Epochs before the first key use a factor of 1.

    Example::

        # no accumulation for epochs 0-4, 2 batches for 5-9, 3 from epoch 10 on
        GradientAccumulationScheduler(scheduling={5: 2, 10: 3})

    Raises:
        TypeError: for an empty schedule.
        MisconfigurationException: for a negative or non-integer epoch or a factor below 1.
    """

    def __init__(self, scheduling: dict[int, int]) -> None:
        if not scheduling:
            raise TypeError("Empty dict cannot be interpreted correct")
        if any(not isinstance(k, int) or isinstance(k, bool) or k < 0 for k in scheduling):
            raise MisconfigurationException(
                f"Epoch should be an int greater than or equal to 0. Got {list(scheduling)}."
            )
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in scheduling.values()):
            raise MisconfigurationException(
                f"Accumulation factor should be an int greater than 0. Got {list(scheduling.values())}."
            )
        scheduling = dict(scheduling)
        scheduling.setdefault(0, 1)
        self.scheduling = scheduling
        self.epochs = sorted(scheduling)

    def going_to_accumulate_grad_batches(self) -> bool:
        return any(v > 1 for v in self.scheduling.values())

    def get_accumulate_grad_batches(self, epoch: int) -> int:
        """The factor in effect at ``epoch``."""
        for start in reversed(self.epochs):
            if epoch >= start:
                return self.scheduling[start]
        return 1

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if not getattr(pl_module, "automatic_optimization", True):
            raise RuntimeError(
                "Automatic gradient accumulation and the `GradientAccumulationScheduler` is not "
                "supported for manual optimization. Please remove the callback or switch to "
                "automatic optimization."
            )
        if trainer.accumulate_grad_batches != 1:
            raise ValueError(
                "You have set `accumulate_grad_batches` and are using the "
                "`GradientAccumulationScheduler` callback. Either remove `accumulate_grad_batches` "
                "from the Trainer or remove the callback."
            )

    def on_train_epoch_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        trainer.accumulate_grad_batches = self.get_accumulate_grad_batches(trainer.current_epoch)
