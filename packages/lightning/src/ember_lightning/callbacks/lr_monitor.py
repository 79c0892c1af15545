"""LearningRateMonitor: log the learning rate (and optionally momentum / weight decay) of every
optimizer param group, the way ``lightning.pytorch.callbacks.LearningRateMonitor`` does.

Names follow Lightning: ``lr-<OptimizerClass>`` (or the scheduler config's ``name``), ``-<k>`` for the
k-th further optimizer of the same class, ``/pg<i>`` (or the param group's ``"name"``) when an
optimizer has several param groups, and ``-momentum`` / ``-weight_decay`` suffixes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ember_lightning.callbacks.callback import Callback
from ember_lightning.utilities.exceptions import MisconfigurationException

__all__ = ["LearningRateMonitor"]


class LearningRateMonitor(Callback):
    """Automatically monitor and log the learning rate of the optimizers during training.

    Args:
        logging_interval: ``"step"`` or ``"epoch"`` to log at that interval for every scheduler,
            or ``None`` to log at the interval of each scheduler's config (optimizers without a
            scheduler are logged at every logged step).
        log_momentum: also log the momentum (``betas[0]`` for Adam-like optimizers).
        log_weight_decay: also log the weight decay.

    Raises:
        MisconfigurationException: if ``logging_interval`` is none of ``"step"``, ``"epoch"``, ``None``.
        MisconfigurationException: at train start, if the Trainer has no logger, or if an
            optimizer has two param groups with the same ``name``.
    """

    def __init__(
        self,
        logging_interval: str | None = None,
        log_momentum: bool = False,
        log_weight_decay: bool = False,
    ) -> None:
        if logging_interval not in (None, "step", "epoch"):
            raise MisconfigurationException(
                "logging_interval should be `step` or `epoch` or `None`."
            )
        self.logging_interval = logging_interval
        self.log_momentum = log_momentum
        self.log_weight_decay = log_weight_decay
        # History of every logged value, keyed by the logged name (as Lightning's ``self.lrs``).
        self.lrs: dict[str, list[float]] = {}
        self.last_momentum_values: dict[str, float | None] = {}
        self.last_weight_decay_values: dict[str, float | None] = {}

    # ------------------------------------------------------------------ hooks
    def on_train_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if not trainer.loggers:
            raise MisconfigurationException(
                "Cannot use `LearningRateMonitor` callback with `Trainer` that has no logger."
            )
        names = [n for group in self._all_names(trainer) for n in group]
        self.lrs = {name: [] for name in names}
        self.last_momentum_values = {f"{name}-momentum": None for name in names}
        self.last_weight_decay_values = {f"{name}-weight_decay": None for name in names}

    def on_train_batch_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self.logging_interval == "epoch" or not self._should_log_step(trainer):
            return
        interval = "step" if self.logging_interval is None else "any"
        self._log(trainer, self._extract_stats(trainer, interval))

    def on_train_epoch_start(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self.logging_interval == "step":
            return
        interval = "epoch" if self.logging_interval is None else "any"
        self._log(trainer, self._extract_stats(trainer, interval))

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _should_log_step(trainer: Any) -> bool:
        every = getattr(trainer, "log_every_n_steps", 1) or 1
        return (trainer.global_step + 1) % every == 0 or bool(trainer.should_stop)

    @staticmethod
    def _log(trainer: Any, stats: dict[str, float]) -> None:
        if not stats:
            return
        for logger in trainer.loggers:
            logger.log_metrics(stats, step=trainer.global_step)

    def _extract_stats(self, trainer: Any, interval: str) -> dict[str, float]:
        """Collect the current values; ``interval`` is ``"step"``, ``"epoch"`` or ``"any"``."""
        stats: dict[str, float] = {}
        configs = list(trainer.lr_scheduler_configs)
        sched_names, seen, seen_types = self._names_from_schedulers(configs)
        for names, config in zip(sched_names, configs):
            if interval in (config.interval, "any"):
                stats.update(self._optimizer_stats(config.scheduler.optimizer, names))
        opt_names, opts = self._names_from_optimizers(trainer.optimizers, seen, seen_types)
        for names, opt in zip(opt_names, opts):
            stats.update(self._optimizer_stats(opt, names))
        self._publish(trainer, stats)
        return stats

    @staticmethod
    def _publish(trainer: Any, stats: dict[str, float]) -> None:
        """Expose the values in ``trainer.callback_metrics`` (as tensors) like Lightning does."""
        if not stats or getattr(trainer, "callback_metrics", None) is None:
            return
        import ember

        trainer.callback_metrics.update({k: ember.tensor(float(v)) for k, v in stats.items()})

    def _optimizer_stats(self, optimizer: Any, names: list[str]) -> dict[str, float]:
        stats: dict[str, float] = {}
        use_betas = "betas" in getattr(optimizer, "defaults", {})
        for group, name in zip(optimizer.param_groups, names):
            lr = float(group["lr"])
            self.lrs.setdefault(name, []).append(lr)
            stats[name] = lr
            if self.log_momentum:
                key = f"{name}-momentum"
                momentum = group["betas"][0] if use_betas else group.get("momentum", 0)
                self.last_momentum_values[key] = float(momentum)
                stats[key] = float(momentum)
            if self.log_weight_decay:
                key = f"{name}-weight_decay"
                self.last_weight_decay_values[key] = float(group.get("weight_decay", 0))
                stats[key] = float(group.get("weight_decay", 0))
        return stats

    def _all_names(self, trainer: Any) -> list[list[str]]:
        sched_names, seen, seen_types = self._names_from_schedulers(trainer.lr_scheduler_configs)
        opt_names, _ = self._names_from_optimizers(trainer.optimizers, seen, seen_types)
        return sched_names + opt_names

    def _names_from_schedulers(self, configs: Any) -> tuple[list[list[str]], list, dict]:
        names: list[list[str]] = []
        seen: list[Any] = []
        seen_types: dict[type, int] = defaultdict(int)
        for config in configs:
            opt = config.scheduler.optimizer
            name = config.name if config.name is not None else f"lr-{type(opt).__name__}"
            names.append(self._group_names(opt, name, seen, seen_types, config.name is None))
        return names, seen, seen_types

    def _names_from_optimizers(
        self, optimizers: Any, seen: list, seen_types: dict
    ) -> tuple[list[list[str]], list]:
        names: list[list[str]] = []
        without_scheduler: list[Any] = []
        for opt in optimizers:
            # A LightningOptimizer-style wrapper exposes the real optimizer as ``.optimizer``.
            opt = getattr(opt, "optimizer", opt)
            if any(opt is s for s in seen):
                continue
            names.append(self._group_names(opt, f"lr-{type(opt).__name__}", seen, seen_types, True))
            without_scheduler.append(opt)
        return names, without_scheduler

    @staticmethod
    def _group_names(
        opt: Any, name: str, seen: list, seen_types: dict, count_type: bool
    ) -> list[str]:
        seen.append(opt)
        groups = opt.param_groups
        pg_names = [g["name"] for g in groups if "name" in g]
        if len(pg_names) != len(set(pg_names)):
            dup = sorted({n for n in pg_names if pg_names.count(n) > 1})
            raise MisconfigurationException(
                "A single `Optimizer` cannot have multiple parameter groups with identical "
                f"`name` values. {name} has duplicated parameter group names {dup}"
            )
        if count_type:
            seen_types[type(opt)] += 1
            count = seen_types[type(opt)]
            if count > 1:
                name = f"{name}-{count - 1}"
        if len(groups) > 1:
            return [f"{name}/{g.get('name', f'pg{i + 1}')}" for i, g in enumerate(groups)]
        pg_name = groups[0].get("name")
        return [f"{name}/{pg_name}" if pg_name else name]
