"""The hooks a LightningModule / LightningDataModule may override (no-ops by default)."""

from __future__ import annotations

from typing import Any

from ember_lightning.utilities.apply_func import move_data_to_device


class ModelHooks:
    """Hooks of the training, evaluation and prediction loops."""

    # fit / stages
    def on_fit_start(self) -> None:
        """Called at the very beginning of fit."""

    def on_fit_end(self) -> None:
        """Called at the very end of fit."""

    def on_train_start(self) -> None:
        """Called at the beginning of training, after the sanity check."""

    def on_train_end(self) -> None:
        """Called at the end of training, before the logger experiment is closed."""

    def on_validation_start(self) -> None:
        """Called at the beginning of validation."""

    def on_validation_end(self) -> None:
        """Called at the end of validation."""

    def on_test_start(self) -> None:
        """Called at the beginning of testing."""

    def on_test_end(self) -> None:
        """Called at the end of testing."""

    def on_predict_start(self) -> None:
        """Called at the beginning of predicting."""

    def on_predict_end(self) -> None:
        """Called at the end of predicting."""

    # batches
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> int | None:
        """Called before a training batch; returning -1 skips the rest of the epoch."""

    def on_train_batch_end(self, outputs, batch: Any, batch_idx: int) -> None:
        """Called after a training batch (``outputs`` is what training_step returned)."""

    def on_validation_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called before a validation batch."""

    def on_validation_batch_end(self, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called after a validation batch."""

    def on_test_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called before a test batch."""

    def on_test_batch_end(self, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called after a test batch."""

    def on_predict_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called before a predict batch."""

    def on_predict_batch_end(self, outputs, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        """Called after a predict batch."""

    # epochs
    def on_train_epoch_start(self) -> None:
        """Called at the start of a training epoch."""

    def on_train_epoch_end(self) -> None:
        """Called at the end of a training epoch (after end-of-epoch validation)."""

    def on_validation_epoch_start(self) -> None:
        """Called at the start of a validation epoch."""

    def on_validation_epoch_end(self) -> None:
        """Called at the end of a validation epoch."""

    def on_test_epoch_start(self) -> None:
        """Called at the start of a test epoch."""

    def on_test_epoch_end(self) -> None:
        """Called at the end of a test epoch."""

    def on_predict_epoch_start(self) -> None:
        """Called at the start of predicting."""

    def on_predict_epoch_end(self) -> None:
        """Called at the end of predicting."""

    def on_validation_model_eval(self) -> None:
        """Puts the model in eval mode for validation."""
        self.trainer.model.eval()

    def on_validation_model_train(self) -> None:
        """Puts the model back in train mode after validation."""
        self.trainer.model.train()

    def on_test_model_eval(self) -> None:
        """Puts the model in eval mode for testing."""
        self.trainer.model.eval()

    def on_test_model_train(self) -> None:
        """Puts the model back in train mode after testing."""
        self.trainer.model.train()

    def on_predict_model_eval(self) -> None:
        """Puts the model in eval mode for predicting."""
        self.trainer.model.eval()

    # optimization
    def on_before_backward(self, loss) -> None:
        """Called before ``loss.backward()``."""

    def on_after_backward(self) -> None:
        """Called after ``loss.backward()``, before the optimizer step."""

    def on_before_optimizer_step(self, optimizer) -> None:
        """Called before ``optimizer.step()`` (gradients are unscaled, not yet clipped)."""

    def on_before_zero_grad(self, optimizer) -> None:
        """Called before ``optimizer.zero_grad()``."""

    def configure_sharded_model(self) -> None:
        """Deprecated alias of configure_model."""

    def configure_model(self) -> None:
        """Create modules lazily (called at the start of every stage)."""


class DataHooks:
    """Hooks that provide and move data."""

    def prepare_data(self) -> None:
        """Download / prepare data (called once)."""

    def setup(self, stage: str) -> None:
        """Called at the beginning of fit / validate / test / predict."""

    def teardown(self, stage: str) -> None:
        """Called at the end of fit / validate / test / predict."""

    def train_dataloader(self):
        """The training DataLoader."""
        raise NotImplementedError("`train_dataloader` must be implemented to be used with the Lightning Trainer")

    def val_dataloader(self):
        """The validation DataLoader(s)."""
        raise NotImplementedError("`val_dataloader` must be implemented to be used with the Lightning Trainer")

    def test_dataloader(self):
        """The test DataLoader(s)."""
        raise NotImplementedError("`test_dataloader` must be implemented to be used with the Lightning Trainer")

    def predict_dataloader(self):
        """The predict DataLoader(s)."""
        raise NotImplementedError("`predict_dataloader` must be implemented to be used with the Lightning Trainer")

    def transfer_batch_to_device(self, batch: Any, device, dataloader_idx: int):
        """Move ``batch`` to ``device`` (every tensor in nested lists/tuples/dicts)."""
        return move_data_to_device(batch, device)

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Alter a batch before it is moved to the device."""
        return batch

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """Alter a batch after it was moved to the device."""
        return batch


class CheckpointHooks:
    """Hooks to add to / read from checkpoints."""

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Called when loading a checkpoint, before the state is restored."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Called when saving a checkpoint: add anything to ``checkpoint``."""
