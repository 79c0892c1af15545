"""ModelCheckpoint: save the model periodically, keeping the top-k by a monitored metric."""

from __future__ import annotations

import math
import os
import re

from ember_lightning.callbacks.callback import Callback
from ember_lightning.utilities.exceptions import MisconfigurationException


class ModelCheckpoint(Callback):
    """Save checkpoints (Lightning 2.x semantics: filename templates, top-k, ``last.ckpt``)."""

    CHECKPOINT_JOIN_CHAR = "-"
    CHECKPOINT_EQUALS_CHAR = "="
    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"

    def __init__(self, dirpath=None, filename: str | None = None, monitor: str | None = None, verbose: bool = False,
                 save_last: bool | None = None, save_top_k: int = 1, save_weights_only: bool = False, mode: str = "min",
                 auto_insert_metric_name: bool = True, every_n_train_steps: int | None = None,
                 train_time_interval=None, every_n_epochs: int | None = None,
                 save_on_train_epoch_end: bool | None = None, enable_version_counter: bool = True) -> None:
        if mode not in ("min", "max"):
            raise MisconfigurationException(f"`mode` can be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise MisconfigurationException(f"Invalid value for save_top_k={save_top_k}. Must be >= -1")
        if monitor is None and save_top_k not in (-1, 0, 1):
            raise MisconfigurationException(f"ModelCheckpoint(save_top_k={save_top_k}, monitor=None) is not a valid"
                                            " configuration. No quantity for top_k to track.")
        self.dirpath = os.path.realpath(os.path.expanduser(os.fspath(dirpath))) if dirpath else None
        self.filename, self.monitor, self.verbose, self.mode = filename, monitor, verbose, mode
        self.save_last, self.save_top_k, self.save_weights_only = save_last, save_top_k, save_weights_only
        self.auto_insert_metric_name = auto_insert_metric_name
        self.enable_version_counter = enable_version_counter
        self._save_on_train_epoch_end = save_on_train_epoch_end
        if every_n_train_steps is None and every_n_epochs is None and train_time_interval is None:
            every_n_epochs = 1
        self._every_n_train_steps = every_n_train_steps or 0
        self._every_n_epochs = every_n_epochs or 0
        self._train_time_interval = train_time_interval
        self.best_k_models: dict[str, float] = {}
        self.kth_best_model_path = ""
        self.best_model_score: float | None = None
        self.best_model_path = ""
        self.last_model_path = ""
        self.current_score: float | None = None
        self.kth_value = math.inf if mode == "min" else -math.inf
        self._last_global_step_saved = 0

    @property
    def state_key(self) -> str:
        return self._generate_state_key(monitor=self.monitor, mode=self.mode,
                                        every_n_train_steps=self._every_n_train_steps,
                                        every_n_epochs=self._every_n_epochs,
                                        train_time_interval=self._train_time_interval)

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"monitor": self.monitor, "best_model_score": self.best_model_score,
                "best_model_path": self.best_model_path, "current_score": self.current_score,
                "dirpath": self.dirpath, "best_k_models": dict(self.best_k_models),
                "kth_best_model_path": self.kth_best_model_path, "kth_value": self.kth_value,
                "last_model_path": self.last_model_path}

    def load_state_dict(self, state_dict: dict) -> None:
        if state_dict.get("dirpath") == self.dirpath or self.dirpath is None:
            self.best_k_models = dict(state_dict.get("best_k_models", {}))
            self.kth_best_model_path = state_dict.get("kth_best_model_path", "")
            self.kth_value = state_dict.get("kth_value", self.kth_value)
            self.last_model_path = state_dict.get("last_model_path", "")
        self.best_model_score = state_dict["best_model_score"]
        self.best_model_path = state_dict["best_model_path"]
        self.current_score = state_dict.get("current_score")

    # -- hooks -----------------------------------------------------------------------------------
    def setup(self, trainer, pl_module, stage: str) -> None:
        if self.dirpath is None:
            if trainer.loggers:
                lg = trainer.loggers[0]
                version = lg.version if isinstance(lg.version, str) else f"version_{lg.version}"
                base = os.path.join(lg.save_dir, str(lg.name), version) if lg.name else os.path.join(lg.save_dir, version)
            else:
                base = trainer.default_root_dir
            self.dirpath = os.path.realpath(os.path.join(base, "checkpoints"))

    def _skip(self, trainer) -> bool:
        return bool(trainer.fast_dev_run) or trainer.sanity_checking or trainer.state.fn != "fit"

    def _on_train_epoch_end_check(self, trainer) -> bool:
        if self._save_on_train_epoch_end is not None:
            return self._save_on_train_epoch_end
        if trainer.check_val_every_n_epoch != 1:
            return False
        if sum(trainer.num_val_batches) == 0:
            return True
        return trainer.val_check_interval == 1.0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        n = self._every_n_train_steps
        if self._skip(trainer) or n < 1 or trainer.global_step % n != 0:
            return
        if trainer.global_step == self._last_global_step_saved:
            return
        self._save(trainer)

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not self._skip(trainer) and self._on_train_epoch_end_check(trainer) and self._epoch_due(trainer):
            self._save(trainer)

    def on_validation_end(self, trainer, pl_module) -> None:
        if not self._skip(trainer) and not self._on_train_epoch_end_check(trainer) and self._epoch_due(trainer):
            self._save(trainer)

    def _epoch_due(self, trainer) -> bool:
        n = self._every_n_epochs
        return n >= 1 and (trainer.current_epoch + 1) % n == 0

    # -- saving ----------------------------------------------------------------------------------
    def _metrics(self, trainer) -> dict:
        m = {k: float(v) for k, v in trainer.callback_metrics.items()}
        m.update(epoch=trainer.current_epoch, step=trainer.global_step)
        return m

    def _save(self, trainer) -> None:
        metrics = self._metrics(trainer)
        self._last_global_step_saved = trainer.global_step
        if self.save_top_k != 0:
            if self.monitor is None:
                self._save_none_monitor(trainer, metrics)
            else:
                self._save_monitor(trainer, metrics)
        if self.save_last:
            path = self.format_checkpoint_name(metrics, self.CHECKPOINT_NAME_LAST)
            self.last_model_path = path
            trainer.save_checkpoint(path, self.save_weights_only)

    def _save_none_monitor(self, trainer, metrics) -> None:
        path = self._unique_path(self.format_checkpoint_name(metrics), trainer)
        previous, self.best_model_path = self.best_model_path, path
        trainer.save_checkpoint(path, self.save_weights_only)
        if self.save_top_k == 1 and previous and previous != path and trainer.is_global_zero and os.path.exists(previous):
            os.remove(previous)

    def _save_monitor(self, trainer, metrics) -> None:
        if self.monitor not in metrics:
            raise MisconfigurationException(
                f"`ModelCheckpoint(monitor={self.monitor!r})` could not find the monitored key in the returned metrics: "
                f"{list(metrics)}. HINT: Did you call `log({self.monitor!r}, value)` in the `LightningModule`?")
        current = metrics[self.monitor]
        if math.isnan(current):
            current = math.inf if self.mode == "min" else -math.inf
        self.current_score = current
        better = (lambda a, b: a < b) if self.mode == "min" else (lambda a, b: a > b)
        full = self.save_top_k == -1 or len(self.best_k_models) < self.save_top_k
        if not full and not better(current, self.kth_value):
            return
        path = self._unique_path(self.format_checkpoint_name(metrics), trainer)
        removed = None
        if not full and len(self.best_k_models) == self.save_top_k:
            removed = self.kth_best_model_path
            self.best_k_models.pop(removed)
        self.best_k_models[path] = current
        if self.save_top_k == -1 or len(self.best_k_models) == self.save_top_k:
            pick = max if self.mode == "min" else min
            self.kth_best_model_path = pick(self.best_k_models, key=self.best_k_models.get)
            self.kth_value = self.best_k_models[self.kth_best_model_path]
        pick_best = min if self.mode == "min" else max
        self.best_model_path = pick_best(self.best_k_models, key=self.best_k_models.get)
        self.best_model_score = self.best_k_models[self.best_model_path]
        trainer.save_checkpoint(path, self.save_weights_only)
        if removed and removed != path and trainer.is_global_zero and os.path.exists(removed):
            os.remove(removed)

    def _unique_path(self, path: str, trainer) -> str:
        if not self.enable_version_counter:
            return path
        base, version = path[: -len(self.FILE_EXTENSION)], 1
        while os.path.exists(path) and path not in self.best_k_models and path != self.best_model_path:
            path = f"{base}-v{version}{self.FILE_EXTENSION}"
            version += 1
        return trainer.strategy.broadcast(path)  # with DDP: the name rank 0 (the writer) chose

    def format_checkpoint_name(self, metrics: dict, filename: str | None = None) -> str:
        """The checkpoint path for ``metrics`` (``{epoch}-{val_loss:.2f}`` → ``epoch=1-val_loss=0.12.ckpt``)."""
        filename = filename or self.filename or "{epoch}-{step}"
        metrics = dict(metrics)
        for group in re.findall(r"(\{.*?)[:\}]", filename):
            name = group[1:]
            if self.auto_insert_metric_name:
                filename = filename.replace(group, name + self.CHECKPOINT_EQUALS_CHAR + "{" + name)
            filename = filename.replace("{" + name, "{" + name.replace("/", "_"))
            metrics.setdefault(name, 0)
            metrics[name.replace("/", "_")] = metrics[name]
        filename = filename.format(**{k.replace("/", "_"): v for k, v in metrics.items()})
        return os.path.join(self.dirpath or "", filename + self.FILE_EXTENSION)

    def to_yaml(self, filepath=None) -> None:
        """Write the best-k models and their scores to a YAML file."""
        import yaml

        filepath = filepath or os.path.join(self.dirpath, "best_k_models.yaml")
        with open(filepath, "w", encoding="utf-8") as fp:
            yaml.safe_dump({k: float(v) for k, v in self.best_k_models.items()}, fp)

