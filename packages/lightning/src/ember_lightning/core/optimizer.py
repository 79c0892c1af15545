"""LightningOptimizer and the parsing of ``configure_optimizers``' return value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ember
from ember_lightning.utilities.exceptions import MisconfigurationException


class LightningOptimizer:
    """Wraps an optimizer so ``step`` goes through the trainer (precision, step counting)."""

    def __init__(self, optimizer) -> None:
        self._optimizer = optimizer
        self._trainer = None
        self._on_before_step = None
        self._on_after_step = None

    @property
    def optimizer(self):
        return self._optimizer

    def __getattr__(self, name):
        return getattr(self._optimizer, name)

    def step(self, closure=None, **kwargs):
        """Step the wrapped optimizer through the trainer's precision plugin."""
        if closure is None:
            closure = _noop_closure
        trainer = self._trainer
        out = trainer.precision_plugin.optimizer_step(self._optimizer, closure, trainer, **kwargs)
        if self._on_after_step is not None:
            self._on_after_step()
        return out

    def zero_grad(self, set_to_none: bool = True) -> None:
        self._optimizer.zero_grad(set_to_none=set_to_none)


def _noop_closure():
    return None


@dataclass
class LRSchedulerConfig:
    """How and when a scheduler steps (Lightning's ``LRSchedulerConfig``)."""

    scheduler: Any
    name: str | None = None
    interval: str = "epoch"
    frequency: int = 1
    reduce_on_plateau: bool = False
    monitor: str | None = None
    strict: bool = True


_SCHED_KEYS = {"scheduler", "name", "interval", "frequency", "monitor", "strict", "reduce_on_plateau"}


def _is_plateau(s) -> bool:
    return isinstance(s, ember.optim.lr_scheduler.ReduceLROnPlateau)


def _scheduler_config(s, monitor=None) -> LRSchedulerConfig:
    if isinstance(s, Mapping):
        if "scheduler" not in s:
            raise MisconfigurationException('The lr scheduler dict must have the key "scheduler" with its item being an lr scheduler')
        extra = set(s) - _SCHED_KEYS
        if extra:
            raise MisconfigurationException(f"Found unsupported keys in the lr scheduler dict: {sorted(extra)}")
        if s.get("interval", "epoch") not in ("epoch", "step"):
            raise MisconfigurationException(f'The "interval" key in lr scheduler dict must be "step" or "epoch" but is "{s["interval"]}"')
        cfg = LRSchedulerConfig(**{"monitor": monitor, **s})
        cfg.reduce_on_plateau = s.get("reduce_on_plateau", _is_plateau(cfg.scheduler))
    else:
        cfg = LRSchedulerConfig(scheduler=s, monitor=monitor, reduce_on_plateau=_is_plateau(s))
    if cfg.reduce_on_plateau and cfg.monitor is None:
        raise MisconfigurationException(
            "`configure_optimizers` must include a monitor when a `ReduceLROnPlateau` scheduler is used."
            ' For example: {"optimizer": optimizer, "lr_scheduler": scheduler, "monitor": "metric_to_track"}'
        )
    return cfg


def _configure_optimizers(out) -> tuple[list, list[LRSchedulerConfig]]:
    """Normalize every return form of ``configure_optimizers`` to (optimizers, scheduler configs)."""
    if out is None:
        return [], []
    if isinstance(out, ember.optim.Optimizer):
        return [out], []
    if isinstance(out, Mapping):
        return _from_dicts([out])
    if isinstance(out, Sequence):
        if len(out) == 2 and isinstance(out[0], Sequence) and not isinstance(out[0], Mapping):
            opts = list(out[0])
            scheds = out[1] if isinstance(out[1], Sequence) else [out[1]]
            return opts, [_scheduler_config(s) for s in scheds]
        if all(isinstance(o, Mapping) for o in out):
            return _from_dicts(out)
        if all(isinstance(o, ember.optim.Optimizer) for o in out):
            return list(out), []
    raise MisconfigurationException(
        "Unknown configuration for model optimizers. Output from `model.configure_optimizers()` should be one of:\n"
        " * `Optimizer`\n * [`Optimizer`]\n * ([`Optimizer`], [`LRScheduler`])\n"
        ' * {"optimizer": `Optimizer`, (optional) "lr_scheduler": `LRScheduler`}\n'
    )


def _from_dicts(dicts) -> tuple[list, list[LRSchedulerConfig]]:
    opts, scheds = [], []
    for d in dicts:
        extra = set(d) - {"optimizer", "lr_scheduler", "monitor"}
        if extra:
            raise MisconfigurationException(f"Found unsupported keys in the optimizer configuration: {sorted(extra)}")
        if "optimizer" not in d:
            raise MisconfigurationException('You should provide an "optimizer" key in the dict returned by `configure_optimizers`')
        opts.append(d["optimizer"])
        if d.get("lr_scheduler") is not None:
            scheds.append(_scheduler_config(d["lr_scheduler"], monitor=d.get("monitor")))
    return opts, scheds
