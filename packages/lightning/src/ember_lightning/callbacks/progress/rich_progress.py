"""RichProgressBar: progress bars drawn with ``rich`` (an optional extra: ``pip install rich``).

One task per stage (``Epoch N``, ``Validation``, ``Testing``, ``Predicting``, ``Sanity Checking``)
in a ``rich.progress.Progress`` display, with the metrics (``v_num``, the running ``loss`` and the
``prog_bar`` metrics) as a text line under the bars.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from typing import Any

from ember_lightning.callbacks.progress.progress_bar import ProgressBar, _fn_name

__all__ = ["RichProgressBar", "RichProgressBarTheme"]

_RICH_AVAILABLE = importlib.util.find_spec("rich") is not None


@dataclass
class RichProgressBarTheme:
    """Styles of the parts of the bar (any ``rich`` style string)."""

    description: str = "white"
    progress_bar: str = "#6206E0"
    progress_bar_finished: str = "#6206E0"
    progress_bar_pulse: str = "#6206E0"
    batch_progress: str = "white"
    time: str = "grey54"
    processing_speed: str = "grey70"
    metrics: str = "white"
    metrics_text_delimiter: str = " "
    metrics_format: str = ".3f"


def _total(x: int | float) -> float | None:
    return None if x is None or math.isinf(x) or math.isnan(x) else float(x)


class RichProgressBar(ProgressBar):
    """Progress bar drawn with ``rich``.

    Args:
        refresh_rate: update the bars every ``refresh_rate`` batches (0 disables the bar).
        leave: keep each finished epoch's bar on screen.
        theme: the styles of the bar's parts.
        console_kwargs: keyword arguments for ``rich.console.Console``.

    Raises:
        ModuleNotFoundError: if ``rich`` is not installed.
    """

    def __init__(
        self,
        refresh_rate: int = 1,
        leave: bool = False,
        theme: RichProgressBarTheme | None = None,
        console_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not _RICH_AVAILABLE:
            raise ModuleNotFoundError(
                "`RichProgressBar` requires `rich` to be installed. "
                "Install it by running `pip install -U rich` or `pip install ember-lightning[rich]`."
            )
        super().__init__()
        self._refresh_rate = refresh_rate
        self._leave = leave
        self.theme = theme or RichProgressBarTheme()
        self._console_kwargs = console_kwargs or {}
        self.progress: Any = None
        self._metrics_task: Any = None
        self.train_progress_bar_id: int | None = None
        self.val_sanity_progress_bar_id: int | None = None
        self.val_progress_bar_id: int | None = None
        self.test_progress_bar_id: int | None = None
        self.predict_progress_bar_id: int | None = None

    def __getstate__(self) -> dict:
        # the live display holds a console and a thread: never pickle it
        state = self.__dict__.copy()
        state["progress"] = None
        return state

    # ------------------------------------------------------------ display
    def _init_progress(self) -> None:
        if not self.is_enabled or self.progress is not None:
            return
        from rich import progress as rp
        from rich.console import Console

        t = self.theme
        self.progress = rp.Progress(
            rp.TextColumn("[progress.description]{task.description}", style=t.description),
            rp.BarColumn(
                complete_style=t.progress_bar,
                finished_style=t.progress_bar_finished,
                pulse_style=t.progress_bar_pulse,
            ),
            rp.MofNCompleteColumn(),
            rp.TimeElapsedColumn(),
            rp.TimeRemainingColumn(),
            rp.TextColumn("{task.fields[metrics]}", style=t.metrics),
            console=Console(**self._console_kwargs),
            auto_refresh=False,
            transient=False,
        )
        self.progress.start()

    def _stop_progress(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _add_task(self, total: int | float, description: str, visible: bool = True) -> int | None:
        if self.progress is None:
            return None
        return self.progress.add_task(description, total=_total(total), visible=visible, metrics="")

    def _update(self, task_id: int | None, current: int, total: Any = None) -> None:
        if self.progress is None or task_id is None:
            return
        if current % self.refresh_rate == 0 or current == total:
            self.progress.update(task_id, completed=current)
            self.progress.refresh()

    def _finish(self, task_id: int | None, remove: bool) -> None:
        if self.progress is None or task_id is None:
            return
        if remove:
            self.progress.remove_task(task_id)
        else:
            self.progress.refresh()

    def _format_metrics(self, metrics: dict[str, Any]) -> str:
        parts = []
        for name, value in metrics.items():
            if isinstance(value, float):
                value = format(value, self.theme.metrics_format)
            parts.append(f"{name}: {value}")
        return self.theme.metrics_text_delimiter.join(parts)

    def _show_metrics(self, trainer: Any, pl_module: Any) -> None:
        if self.progress is not None and self.train_progress_bar_id is not None:
            text = self._format_metrics(self.get_metrics(trainer, pl_module))
            self.progress.update(self.train_progress_bar_id, metrics=text)
            self.progress.refresh()

    # -------------------------------------------------------------- hooks
    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        self._init_progress()

    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None:
        self._finish(self.val_sanity_progress_bar_id, remove=True)
        self.val_sanity_progress_bar_id = None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._init_progress()

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        self._init_progress()
        description = f"Epoch {trainer.current_epoch}"
        if self.train_progress_bar_id is not None and not self._leave and self.progress is not None:
            self.progress.reset(
                self.train_progress_bar_id,
                total=_total(self.total_train_batches),
                description=description,
                visible=True,
            )
        else:
            self.train_progress_bar_id = self._add_task(self.total_train_batches, description)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        self._update(self.train_progress_bar_id, batch_idx + 1, self.total_train_batches)
        if (batch_idx + 1) % max(self.refresh_rate, 1) == 0:
            self._show_metrics(trainer, pl_module)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._show_metrics(trainer, pl_module)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._stop_progress()
        self.train_progress_bar_id = None

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._init_progress()
        if trainer.sanity_checking:
            self.val_sanity_progress_bar_id = self._add_task(
                self.total_val_batches, self.sanity_check_description, visible=False
            )
        else:
            self.val_progress_bar_id = self._add_task(
                self.total_val_batches, self.validation_description, visible=False
            )

    def _val_id(self, trainer: Any) -> int | None:
        return (
            self.val_sanity_progress_bar_id if trainer.sanity_checking else self.val_progress_bar_id
        )

    def on_validation_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not self.has_dataloader_changed(dataloader_idx) or self.progress is None:
            return
        task = self._val_id(trainer)
        if task is not None:
            self.progress.reset(
                task, total=_total(self.total_val_batches_current_dataloader), visible=True
            )

    def on_validation_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._update(self._val_id(trainer), batch_idx + 1)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.sanity_checking:
            self._finish(self.val_progress_bar_id, remove=True)
            self.val_progress_bar_id = None
            if _fn_name(trainer) == "fit":
                self._show_metrics(trainer, pl_module)
            else:
                self._stop_progress()
        self.reset_dataloader_idx_tracker()

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._init_progress()
        self.test_progress_bar_id = self._add_task(0, self.test_description)

    def on_test_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if self.has_dataloader_changed(dataloader_idx) and self.progress is not None:
            self.progress.reset(
                self.test_progress_bar_id, total=_total(self.total_test_batches_current_dataloader)
            )

    def on_test_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._update(self.test_progress_bar_id, batch_idx + 1)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._stop_progress()
        self.test_progress_bar_id = None
        self.reset_dataloader_idx_tracker()

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        self._init_progress()
        self.predict_progress_bar_id = self._add_task(0, self.predict_description)

    def on_predict_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if self.has_dataloader_changed(dataloader_idx) and self.progress is not None:
            self.progress.reset(
                self.predict_progress_bar_id,
                total=_total(self.total_predict_batches_current_dataloader),
            )

    def on_predict_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._update(self.predict_progress_bar_id, batch_idx + 1)

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        self._stop_progress()
        self.predict_progress_bar_id = None
        self.reset_dataloader_idx_tracker()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._stop_progress()

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        self._stop_progress()
