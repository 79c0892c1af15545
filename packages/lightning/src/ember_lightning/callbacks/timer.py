"""Timer: measure the time spent in training/validation/test/predict, and stop training once a
time budget is spent (Lightning's ``Timer`` callback; ``Trainer(max_time=...)`` uses it too)."""

from __future__ import annotations

import re
from datetime import timedelta
from time import monotonic as _monotonic
from typing import Any

from ember_lightning.callbacks.callback import Callback
from ember_lightning.trainer.states import RunningStage
from ember_lightning.utilities.exceptions import MisconfigurationException

__all__ = ["Interval", "Timer"]


class Interval:
    """When the time budget is checked: after every training ``step`` or every ``epoch``."""

    step = "step"
    epoch = "epoch"


_DURATION = re.compile(r"(\d+):(\d\d):(\d\d):(\d\d)")


def _parse_duration(duration: str | timedelta | dict[str, int] | None) -> float | None:
    """Seconds of a ``"DD:HH:MM:SS"`` string, a ``timedelta`` or a dict of ``timedelta`` kwargs."""
    if duration is None:
        return None
    if isinstance(duration, str):
        match = _DURATION.fullmatch(duration.strip())
        if not match:
            raise MisconfigurationException(
                f"`Timer(duration={duration!r})` is not a valid duration. "
                "Expected a string in the format DD:HH:MM:SS."
            )
        days, hours, minutes, seconds = (int(g) for g in match.groups())
        duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    elif isinstance(duration, dict):
        duration = timedelta(**duration)
    if not isinstance(duration, timedelta):
        raise TypeError(
            f"`Timer(duration=...)` expects a str, dict or timedelta, got {type(duration).__name__}."
        )
    return duration.total_seconds()


class Timer(Callback):
    """Track the time spent in each stage and stop training when ``duration`` has passed.

    Args:
        duration: the time budget of training: ``"DD:HH:MM:SS"``, a ``datetime.timedelta`` or a
            dict of ``timedelta`` keyword arguments (``{"hours": 1}``); ``None`` only measures.
        interval: check the budget after every training step (``"step"``) or epoch (``"epoch"``).
        verbose: print a line when the time limit is reached.

    The elapsed training time is saved in checkpoints and resumed from.
    """

    def __init__(
        self,
        duration: str | timedelta | dict[str, int] | None = None,
        interval: str = Interval.step,
        verbose: bool = True,
    ) -> None:
        self._duration = _parse_duration(duration)
        interval = getattr(interval, "value", interval)
        if interval not in (Interval.step, Interval.epoch):
            raise MisconfigurationException(
                f"Unsupported parameter value `Timer(interval={interval})`. "
                "Possible values are: step, epoch."
            )
        self._interval = interval
        self._verbose = verbose
        self._start_time: dict[RunningStage, float | None] = dict.fromkeys(RunningStage)
        self._end_time: dict[RunningStage, float | None] = dict.fromkeys(RunningStage)
        self._offset = 0.0

    # ------------------------------------------------------------ queries
    def start_time(self, stage: str = RunningStage.TRAINING) -> float | None:
        """Monotonic clock reading when ``stage`` last started (``None`` before it ran)."""
        return self._start_time[RunningStage(stage)]

    def end_time(self, stage: str = RunningStage.TRAINING) -> float | None:
        return self._end_time[RunningStage(stage)]

    def time_elapsed(self, stage: str = RunningStage.TRAINING) -> float:
        """Seconds spent in ``stage`` (training includes the time restored from a checkpoint)."""
        stage = RunningStage(stage)
        start, end = self._start_time[stage], self._end_time[stage]
        offset = self._offset if stage == RunningStage.TRAINING else 0.0
        if start is None:
            return offset
        if end is None:
            return _monotonic() - start + offset
        return end - start + offset

    def time_remaining(self, stage: str = RunningStage.TRAINING) -> float | None:
        """Seconds left of ``duration`` (``None`` without a duration); negative once exceeded."""
        if self._duration is None:
            return None
        return self._duration - self.time_elapsed(stage)

    # -------------------------------------------------------------- hooks
    def _start(self, stage: RunningStage) -> None:
        self._start_time[stage] = _monotonic()
        self._end_time[stage] = None

    def _end(self, stage: RunningStage) -> None:
        self._end_time[stage] = _monotonic()

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._start(RunningStage.TRAINING)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._end(RunningStage.TRAINING)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._start(RunningStage.VALIDATING)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._end(RunningStage.VALIDATING)

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._start(RunningStage.TESTING)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._end(RunningStage.TESTING)

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        self._start(RunningStage.PREDICTING)

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        self._end(RunningStage.PREDICTING)

    def on_fit_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        # A restored state may already have spent the budget: check before the first step.
        if self._duration is not None:
            self._check_time_remaining(trainer)

    def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self._interval == Interval.step and self._duration is not None:
            self._check_time_remaining(trainer)

    def on_train_epoch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self._interval == Interval.epoch and self._duration is not None:
            self._check_time_remaining(trainer)

    # -------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        return {"time_elapsed": {stage.value: self.time_elapsed(stage) for stage in RunningStage}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._offset = float(
            state_dict.get("time_elapsed", {}).get(RunningStage.TRAINING.value, 0.0)
        )

    def _check_time_remaining(self, trainer: Any) -> None:
        should_stop = self.time_elapsed() >= self._duration
        trainer.should_stop = trainer.should_stop or should_stop
        if should_stop and self._verbose:
            elapsed = timedelta(seconds=int(self.time_elapsed(RunningStage.TRAINING)))
            print(f"Time limit reached. Elapsed time is {elapsed}. Signaling Trainer to stop.")
