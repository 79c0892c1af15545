"""ProgressBar: the base class of every progress bar callback (Lightning's ``ProgressBar``).

A subclass draws the bars; the base tracks the trainer, the totals of each stage and the metrics
to show (the logger version ``v_num``, the metrics logged with ``prog_bar=True`` and the running
training ``loss``).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from ember_lightning.callbacks.callback import Callback

__all__ = ["ProgressBar", "get_standard_metrics"]


def _fn_name(trainer: Any) -> str | None:
    """``trainer.state.fn`` as a plain string (``"fit"``, ``"validate"``, ...)."""
    state = getattr(trainer, "state", None)
    fn = getattr(state, "fn", None)
    return None if fn is None else str(getattr(fn, "value", fn))


def _to_python(value: Any) -> Any:
    """Tensors and numpy scalars become Python numbers so that bars format them compactly."""
    if hasattr(value, "item") and (not hasattr(value, "numel") or value.numel() == 1):
        return value.item()
    return value


def get_standard_metrics(trainer: Any) -> dict[str, int | str]:
    """The metrics every bar shows: ``v_num``, the version of the (first) logger."""
    items: dict[str, int | str] = {}
    loggers = getattr(trainer, "loggers", None) or []
    versions = [logger.version for logger in loggers]
    versions = [v for v in versions if v not in ("", None)]
    if versions:
        version = versions[0] if len(versions) == 1 else "_".join(str(v) for v in versions)
        items["v_num"] = version[-4:] if isinstance(version, str) else version
    return items


class ProgressBar(Callback):
    """Base class of the progress bars; subclass it and override the hooks to draw a custom bar.

    A subclass that overrides ``on_train_epoch_start`` or ``on_train_batch_end`` calls ``super()``
    there, so that the running ``loss`` stays up to date.

    Args:
        loss_window: number of training batches averaged into the running ``loss`` shown in the bar.
    """

    def __init__(self, loss_window: int = 20) -> None:
        self._trainer: Any = None
        self._current_eval_dataloader_idx: int | None = None
        self._enabled = True
        self._refresh_rate = 1  # subclasses take it as an argument; 0 turns the bar off
        self._losses: deque[float] = deque(maxlen=loss_window)

    # ------------------------------------------------------------ descriptions
    @property
    def trainer(self) -> Any:
        if self._trainer is None:
            raise TypeError(f"The `{type(self).__name__}._trainer` reference has not been set yet.")
        return self._trainer

    @property
    def sanity_check_description(self) -> str:
        return "Sanity Checking"

    @property
    def train_description(self) -> str:
        return "Training"

    @property
    def validation_description(self) -> str:
        return "Validation"

    @property
    def test_description(self) -> str:
        return "Testing"

    @property
    def predict_description(self) -> str:
        return "Predicting"

    # ------------------------------------------------------------------ totals
    @property
    def total_train_batches(self) -> int | float:
        """Batches of one training epoch (``inf`` for an iterable dataset without a length)."""
        return self.trainer.num_training_batches

    def _sanity_batches(self) -> list[int | float]:
        trainer = self.trainer
        explicit = getattr(trainer, "num_sanity_val_batches", None)
        if explicit is not None:
            return list(explicit)
        steps = trainer.num_sanity_val_steps
        steps = math.inf if steps == -1 else steps
        return [min(steps, n) for n in trainer.num_val_batches]

    @property
    def total_val_batches_current_dataloader(self) -> int | float:
        batches = (
            self._sanity_batches() if self.trainer.sanity_checking else self.trainer.num_val_batches
        )
        return batches[self._current_eval_dataloader_idx or 0] if batches else 0

    @property
    def total_test_batches_current_dataloader(self) -> int | float:
        batches = getattr(self.trainer, "num_test_batches", None) or [0]
        return batches[self._current_eval_dataloader_idx or 0]

    @property
    def total_predict_batches_current_dataloader(self) -> int | float:
        batches = getattr(self.trainer, "num_predict_batches", None) or [0]
        return batches[self._current_eval_dataloader_idx or 0]

    @property
    def total_val_batches(self) -> int | float:
        """Validation batches of all dataloaders (what one validation run iterates)."""
        if self.trainer.sanity_checking:
            return sum(self._sanity_batches())
        return sum(self.trainer.num_val_batches)

    def has_dataloader_changed(self, dataloader_idx: int) -> bool:
        old = self._current_eval_dataloader_idx
        self._current_eval_dataloader_idx = dataloader_idx
        return old != dataloader_idx

    def reset_dataloader_idx_tracker(self) -> None:
        self._current_eval_dataloader_idx = None

    # -------------------------------------------------------------- switching
    @property
    def refresh_rate(self) -> int:
        """Redraw every ``refresh_rate`` batches."""
        return self._refresh_rate

    @property
    def is_enabled(self) -> bool:
        return self._enabled and self.refresh_rate > 0

    @property
    def is_disabled(self) -> bool:
        return not self.is_enabled

    def disable(self) -> None:
        """Turn the bar off (the Trainer does this on non-zero ranks and for ``enable_progress_bar=False``)."""
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def print(self, *args: Any, **kwargs: Any) -> None:
        """Print without breaking the bars."""
        print(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def setup(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._trainer = trainer
        if not getattr(trainer, "is_global_zero", True):
            self.disable()

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._losses.clear()

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is not None and hasattr(loss, "item"):
            value = float(loss.item())
            if math.isfinite(value) or not self._losses:
                self._losses.append(value)

    # ---------------------------------------------------------------- metrics
    def get_metrics(self, trainer: Any, pl_module: Any) -> dict[str, int | float | str]:
        """What the bar shows: ``v_num``, the running ``loss`` and the ``prog_bar`` metrics.

        A metric the user logged as ``"loss"`` with ``prog_bar=True`` replaces the running loss.
        """
        metrics: dict[str, Any] = dict(get_standard_metrics(trainer))
        if self._losses:
            metrics["loss"] = sum(self._losses) / len(self._losses)
        pbar = getattr(trainer, "progress_bar_metrics", None) or {}
        metrics.update({k: _to_python(v) for k, v in pbar.items()})
        return metrics
