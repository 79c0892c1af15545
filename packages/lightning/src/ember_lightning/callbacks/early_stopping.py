"""EarlyStopping: stop training when a monitored metric stops improving."""

from __future__ import annotations

import math
import warnings

from ember_lightning.callbacks.callback import Callback
from ember_lightning.utilities.exceptions import MisconfigurationException


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` checks (Lightning's semantics)."""

    mode_dict = {"min": "<", "max": ">"}

    def __init__(self, monitor: str, min_delta: float = 0.0, patience: int = 3, verbose: bool = False, mode: str = "min",
                 strict: bool = True, check_finite: bool = True, stopping_threshold: float | None = None,
                 divergence_threshold: float | None = None, check_on_train_epoch_end: bool | None = None,
                 log_rank_zero_only: bool = False) -> None:
        if mode not in self.mode_dict:
            raise MisconfigurationException(f"`mode` can be {', '.join(self.mode_dict)}, got {mode}")
        self.monitor, self.mode, self.patience, self.verbose = monitor, mode, patience, verbose
        self.strict, self.check_finite = strict, check_finite
        self.stopping_threshold, self.divergence_threshold = stopping_threshold, divergence_threshold
        self.min_delta = abs(min_delta) * (1 if mode == "max" else -1)
        self._check_on_train_epoch_end = check_on_train_epoch_end
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self.stopping_reason_message: str | None = None

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode)

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b

    def state_dict(self) -> dict:
        return {"wait_count": self.wait_count, "stopped_epoch": self.stopped_epoch, "best_score": self.best_score,
                "patience": self.patience}

    def load_state_dict(self, state_dict: dict) -> None:
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]
        self.patience = state_dict["patience"]

    def _on_train_epoch_end_check(self, trainer) -> bool:
        if self._check_on_train_epoch_end is not None:
            return self._check_on_train_epoch_end
        if trainer.check_val_every_n_epoch != 1 or trainer.val_check_interval != 1.0:
            return False
        return sum(trainer.num_val_batches) == 0

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if self._on_train_epoch_end_check(trainer):
            self._run_early_stopping_check(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or self._on_train_epoch_end_check(trainer):
            return
        self._run_early_stopping_check(trainer)

    def _run_early_stopping_check(self, trainer) -> None:
        if trainer.fast_dev_run:
            return
        logs = trainer.callback_metrics
        if self.monitor not in logs:
            msg = (f"Early stopping conditioned on metric `{self.monitor}` which is not available. Pass in or modify your "
                   f"`EarlyStopping` callback to use any of the following: `{'`, `'.join(logs)}`")
            if self.strict:
                raise RuntimeError(msg)
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            return
        current = float(logs[self.monitor])
        should_stop, reason = self._evaluate_stopping_criteria(current)
        trainer.should_stop = trainer.should_stop or should_stop
        if should_stop:
            self.stopped_epoch = trainer.current_epoch
            self.stopping_reason_message = reason
            if self.verbose and reason:
                print(reason)

    def _evaluate_stopping_criteria(self, current: float) -> tuple[bool, str | None]:
        if self.check_finite and not math.isfinite(current):
            return True, (f"Monitored metric {self.monitor} = {current} is not finite. Previous best value was "
                          f"{self.best_score:.3f}. Signaling Trainer to stop.")
        if self.stopping_threshold is not None and self._better(current, self.stopping_threshold):
            return True, (f"Stopping threshold reached: {self.monitor} = {current} "
                          f"{self.mode_dict[self.mode]} {self.stopping_threshold}. Signaling Trainer to stop.")
        if self.divergence_threshold is not None and self._better(-current, -self.divergence_threshold):
            return True, (f"Divergence threshold reached: {self.monitor} = {current} "
                          f"{self.mode_dict['max' if self.mode == 'min' else 'min']} {self.divergence_threshold}. "
                          "Signaling Trainer to stop.")
        if self._better(current - self.min_delta, self.best_score):
            self.best_score = current
            self.wait_count = 0
            return False, None
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (f"Monitored metric {self.monitor} did not improve in the last {self.wait_count} records. "
                          f"Best score: {self.best_score:.3f}. Signaling Trainer to stop.")
        return False, None
