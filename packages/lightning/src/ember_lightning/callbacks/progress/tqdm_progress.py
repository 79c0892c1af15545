"""TQDMProgressBar: the default progress bar, drawn with ``tqdm`` (Lightning's ``TQDMProgressBar``).

One main bar per training epoch (``Epoch N``) whose postfix shows ``v_num``, the running ``loss``
and the metrics logged with ``prog_bar=True``; a second bar, below it, for validation; bars of
their own for sanity checking, test and predict.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from tqdm import tqdm as _tqdm

from ember_lightning.callbacks.progress.progress_bar import ProgressBar, _fn_name

__all__ = ["TQDMProgressBar", "Tqdm"]


_PAD_SIZE = 5


class Tqdm(_tqdm):
    """``tqdm`` whose postfix numbers keep a constant width (Lightning's ``Tqdm``)."""

    @staticmethod
    def format_num(n: int | float | str) -> str:
        """3 significant digits, floats right-padded with zeros to 5 characters (``0.5`` -> ``0.500``)."""
        should_be_padded = isinstance(n, float | str)
        if not isinstance(n, str):
            n = _tqdm.format_num(n)
        if should_be_padded and "e" not in n:
            if "." not in n and len(n) < _PAD_SIZE:
                try:
                    float(n)
                except ValueError:
                    return n
                n += "."
            n += "0" * (_PAD_SIZE - len(n))
        return n


def _convert_inf(x: int | float | None) -> int | float | None:
    """tqdm wants ``None`` for an unknown total."""
    if x is None or math.isinf(x) or math.isnan(x):
        return None
    return x


def _update_n(bar: _tqdm, value: int) -> None:
    if not bar.disable:
        bar.n = value
        bar.refresh()


class TQDMProgressBar(ProgressBar):
    """The default progress bar.

    Args:
        refresh_rate: redraw the bars every ``refresh_rate`` batches (0 disables the bar).
        process_position: vertical offset of the bars, for several trainers at once.
        leave: keep each finished epoch's bar on screen.
    """

    BAR_FORMAT = (
        "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"
    )

    def __init__(
        self, refresh_rate: int = 1, process_position: int = 0, leave: bool = False
    ) -> None:
        super().__init__()
        if refresh_rate < 0:
            raise ValueError(f"`refresh_rate` must be >= 0, got {refresh_rate}.")
        self._refresh_rate = refresh_rate
        self._process_position = process_position
        self._leave = leave
        self._train_progress_bar: _tqdm | None = None
        self._val_progress_bar: _tqdm | None = None
        self._test_progress_bar: _tqdm | None = None
        self._predict_progress_bar: _tqdm | None = None
        # Where bars are written; tests point this at a buffer.
        self.file: Any = None

    def __getstate__(self) -> dict:
        # tqdm objects hold file handles and locks: never pickle them.
        state = self.__dict__.copy()
        for key in (
            "_train_progress_bar",
            "_val_progress_bar",
            "_test_progress_bar",
            "_predict_progress_bar",
            "file",
        ):
            state[key] = None
        return state

    # ---------------------------------------------------------------- bars
    def _bar(self, name: str) -> _tqdm:
        bar = getattr(self, f"_{name}_progress_bar")
        if bar is None:
            raise TypeError(
                f"The `{type(self).__name__}._{name}_progress_bar` reference has not been set yet."
            )
        return bar

    def _bar_property(name: str):  # noqa: N805 - runs in the class body
        """``<name>_progress_bar``: the bar, or a TypeError before it exists; settable."""
        return property(lambda self: self._bar(name),
                        lambda self, bar: setattr(self, f"_{name}_progress_bar", bar))

    train_progress_bar = _bar_property("train")
    val_progress_bar = _bar_property("val")
    test_progress_bar = _bar_property("test")
    predict_progress_bar = _bar_property("predict")
    del _bar_property

    @property
    def process_position(self) -> int:
        return self._process_position

    def _new(self, desc: str, position: int, leave: bool, **kwargs: Any) -> Tqdm:
        return Tqdm(
            desc=desc,
            position=position,
            disable=self.is_disabled,
            leave=leave,
            dynamic_ncols=True,
            file=self.file if self.file is not None else sys.stdout,
            bar_format=self.BAR_FORMAT,
            **kwargs,
        )

    def init_sanity_tqdm(self) -> Tqdm:
        return self._new(self.sanity_check_description, 2 * self.process_position, False)

    def init_train_tqdm(self) -> Tqdm:
        return self._new(self.train_description, 2 * self.process_position, True, smoothing=0)

    def init_validation_tqdm(self) -> Tqdm:
        # The validation bar sits below the main bar while fitting, and is the main bar otherwise.
        has_main_bar = _fn_name(self.trainer) != "validate"
        return self._new(
            self.validation_description,
            2 * self.process_position + has_main_bar,
            not has_main_bar,
        )

    def init_test_tqdm(self) -> Tqdm:
        return self._new(self.test_description, 2 * self.process_position, True)

    def init_predict_tqdm(self) -> Tqdm:
        return self._new(self.predict_description, 2 * self.process_position, True, smoothing=0)

    def _should_update(self, current: int, total: int | float | None) -> bool:
        return self.is_enabled and (current % self.refresh_rate == 0 or current == total)

    def print(self, *args: Any, sep: str = " ", **kwargs: Any) -> None:
        """Print a line above the active bar without breaking it."""
        active = None
        for bar in (
            self._val_progress_bar,
            self._test_progress_bar,
            self._predict_progress_bar,
            self._train_progress_bar,
        ):
            if bar is not None and not bar.disable:
                active = bar
                break
        if active is None:
            print(*args, sep=sep, **kwargs)
        else:
            active.write(sep.join(map(str, args)), **kwargs)

    # -------------------------------------------------------------- sanity
    def on_sanity_check_start(self, trainer: Any, pl_module: Any) -> None:
        self.val_progress_bar = self.init_sanity_tqdm()
        self.train_progress_bar = Tqdm(disable=True)  # placeholder until training starts

    def on_sanity_check_end(self, trainer: Any, pl_module: Any) -> None:
        self.train_progress_bar.close()
        self.val_progress_bar.close()

    # --------------------------------------------------------------- train
    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.train_progress_bar = self.init_train_tqdm()

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        if self._leave:
            self.train_progress_bar = self.init_train_tqdm()
        self.train_progress_bar.reset(_convert_inf(self.total_train_batches))
        self.train_progress_bar.initial = 0
        self.train_progress_bar.set_description(f"Epoch {trainer.current_epoch}")

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        n = batch_idx + 1
        if self._should_update(n, self.train_progress_bar.total):
            _update_n(self.train_progress_bar, n)
            self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not self.train_progress_bar.disable:
            self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
        if self._leave:
            self.train_progress_bar.close()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.train_progress_bar.close()

    # ---------------------------------------------------------- validation
    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.sanity_checking:
            self.val_progress_bar = self.init_validation_tqdm()

    def on_validation_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not self.has_dataloader_changed(dataloader_idx):
            return
        desc = self.sanity_check_description if trainer.sanity_checking else \
            self.validation_description
        _restart(self.val_progress_bar, self.total_val_batches_current_dataloader, desc,
                 len(trainer.num_val_batches), dataloader_idx)

    def on_validation_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._advance(self.val_progress_bar, batch_idx)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if self._train_progress_bar is not None and _fn_name(trainer) == "fit":
            self.train_progress_bar.set_postfix(self.get_metrics(trainer, pl_module))
        self.val_progress_bar.close()
        self.reset_dataloader_idx_tracker()

    def _advance(self, bar, batch_idx: int) -> None:
        """Show ``batch_idx + 1`` batches done, every ``refresh_rate`` batches and at the end."""
        n = batch_idx + 1
        if self._should_update(n, bar.total):
            _update_n(bar, n)

    # ---------------------------------------------------------------- test
    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self.test_progress_bar = self.init_test_tqdm()

    def on_test_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not self.has_dataloader_changed(dataloader_idx):
            return
        _restart(self.test_progress_bar, self.total_test_batches_current_dataloader,
                 self.test_description, len(getattr(trainer, "num_test_batches", [0])),
                 dataloader_idx)

    def on_test_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._advance(self.test_progress_bar, batch_idx)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self.test_progress_bar.close()
        self.reset_dataloader_idx_tracker()

    # ------------------------------------------------------------- predict
    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        self.predict_progress_bar = self.init_predict_tqdm()

    def on_predict_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if not self.has_dataloader_changed(dataloader_idx):
            return
        _restart(self.predict_progress_bar, self.total_predict_batches_current_dataloader,
                 self.predict_description, len(getattr(trainer, "num_predict_batches", [0])),
                 dataloader_idx)

    def on_predict_batch_end(
        self,
        trainer: Any,
        pl_module: Any,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._advance(self.predict_progress_bar, batch_idx)

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        self.predict_progress_bar.close()
        self.reset_dataloader_idx_tracker()


def _restart(bar, total, description: str, num_loaders: int, dataloader_idx: int) -> None:
    """Reset an evaluation bar for a new dataloader (its index shown when there are several)."""
    bar.reset(_convert_inf(total))
    bar.initial = 0
    bar.set_description(f"{description} DataLoader {dataloader_idx}" if num_loaders > 1
                        else description)
