"""Callback: the base class of every callback, with every Lightning hook as a no-op."""

from __future__ import annotations

from typing import Any


class Callback:
    """Abstract base class used to build new callbacks.

    Every hook receives ``(trainer, pl_module, ...)`` with Lightning 2.x's signatures.
    """

    @property
    def state_key(self) -> str:
        """Identifier of this callback's state in ``checkpoint["callbacks"]``."""
        return self.__class__.__qualname__

    def _generate_state_key(self, **kwargs: Any) -> str:
        """A state key made of the class name and the arguments that tell instances apart."""
        return f"{self.__class__.__qualname__}{repr(kwargs)}"

    def state_dict(self) -> dict[str, Any]:
        """The callback's state to put in checkpoints."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Reload the state returned by :meth:`state_dict`."""

    def setup(self, trainer, pl_module, stage: str) -> None:
        """Called when fit, validate, test or predict begins."""

    def teardown(self, trainer, pl_module, stage: str) -> None:
        """Called when fit, validate, test or predict ends."""

    def on_fit_start(self, trainer, pl_module) -> None:
        """Called when fit begins."""

    def on_fit_end(self, trainer, pl_module) -> None:
        """Called when fit ends."""

    def on_sanity_check_start(self, trainer, pl_module) -> None:
        """Called when the validation sanity check starts."""

    def on_sanity_check_end(self, trainer, pl_module) -> None:
        """Called when the validation sanity check ends."""

    def on_train_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int) -> None:
        """Called when the train batch begins."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch: Any, batch_idx: int) -> None:
        """Called when the train batch ends."""

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        """Called when the train epoch begins."""

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        """Called when the train epoch ends (after end-of-epoch validation)."""

    def on_validation_epoch_start(self, trainer, pl_module) -> None:
        """Called when the val epoch begins."""

    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        """Called when the val epoch ends."""

    def on_test_epoch_start(self, trainer, pl_module) -> None:
        """Called when the test epoch begins."""

    def on_test_epoch_end(self, trainer, pl_module) -> None:
        """Called when the test epoch ends."""

    def on_predict_epoch_start(self, trainer, pl_module) -> None:
        """Called when the predict epoch begins."""

    def on_predict_epoch_end(self, trainer, pl_module) -> None:
        """Called when the predict epoch ends."""

    def on_validation_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the validation batch begins."""

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the validation batch ends."""

    def on_test_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the test batch begins."""

    def on_test_batch_end(self, trainer, pl_module, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the test batch ends."""

    def on_predict_batch_start(self, trainer, pl_module, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the predict batch begins."""

    def on_predict_batch_end(self, trainer, pl_module, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called when the predict batch ends."""

    def on_train_start(self, trainer, pl_module) -> None:
        """Called when the train begins."""

    def on_train_end(self, trainer, pl_module) -> None:
        """Called when the train ends."""

    def on_validation_start(self, trainer, pl_module) -> None:
        """Called when the validation loop begins."""

    def on_validation_end(self, trainer, pl_module) -> None:
        """Called when the validation loop ends."""

    def on_test_start(self, trainer, pl_module) -> None:
        """Called when the test begins."""

    def on_test_end(self, trainer, pl_module) -> None:
        """Called when the test ends."""

    def on_predict_start(self, trainer, pl_module) -> None:
        """Called when the predict begins."""

    def on_predict_end(self, trainer, pl_module) -> None:
        """Called when predict ends."""

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        """Called when any trainer execution is interrupted by an exception."""

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        """Called when saving a checkpoint to give you a chance to store anything else you might want to save."""

    def on_load_checkpoint(self, trainer, pl_module, checkpoint: dict[str, Any]) -> None:
        """Called when loading a model checkpoint, use to reload state."""

    def on_before_backward(self, trainer, pl_module, loss) -> None:
        """Called before ``loss.backward()``."""

    def on_after_backward(self, trainer, pl_module) -> None:
        """Called after ``loss.backward()`` and before optimizers are stepped."""

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        """Called before ``optimizer.step()``."""

    def on_before_zero_grad(self, trainer, pl_module, optimizer) -> None:
        """Called before ``optimizer.zero_grad()``."""
