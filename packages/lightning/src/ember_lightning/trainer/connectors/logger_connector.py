"""Collects what ``self.log`` records and routes it to callback_metrics, the progress bar and loggers."""

from __future__ import annotations

import ember

_REDUCE = {"mean": None, "sum": sum, "max": max, "min": min}


def _to_float(value) -> float:
    return float(value.detach().cpu().item()) if isinstance(value, ember.Tensor) else float(value)


class ResultCollection:
    """Per-stage store of logged values (step values now, epoch values reduced at epoch end)."""

    def __init__(self) -> None:
        self.epoch_values: dict[str, dict] = {}
        self.step_logger: dict[str, float] = {}

    def reset_epoch(self) -> None:
        self.epoch_values = {}

    def log(self, trainer, fx, name, value, prog_bar, logger, on_step, on_epoch, reduce_fx, batch_size,
            add_dataloader_idx) -> None:
        v = _to_float(value)
        if add_dataloader_idx and trainer._num_eval_dataloaders > 1 and trainer._dataloader_idx is not None:
            name = f"{name}/dataloader_idx_{trainer._dataloader_idx}"
        if trainer.sanity_checking:
            return
        if on_step:
            key = f"{name}_step" if on_epoch else name
            t = ember.tensor(v)
            trainer.callback_metrics[key] = t
            if prog_bar:
                trainer.progress_bar_metrics[key] = v
            if logger:
                self.step_logger[key] = v
        if on_epoch:
            entry = self.epoch_values.setdefault(name, {"values": [], "weights": [], "prog_bar": prog_bar,
                                                        "logger": logger, "reduce_fx": reduce_fx, "forked": on_step})
            entry["values"].append(v)
            entry["weights"].append(batch_size or 1)

    def reduce_epoch(self, trainer) -> dict[str, float]:
        """Reduce the epoch values into callback_metrics; returns the metrics for loggers."""
        to_log = {}
        for name, e in self.epoch_values.items():
            fx = e["reduce_fx"]
            if callable(fx) and fx not in (sum, max, min):
                val = _to_float(fx(ember.tensor(e["values"])))
            elif fx in ("mean", None):
                val = sum(v * w for v, w in zip(e["values"], e["weights"], strict=True)) / sum(e["weights"])
            else:
                val = (_REDUCE.get(fx) or fx)(e["values"])
            key = f"{name}_epoch" if e["forked"] else name
            trainer.callback_metrics[key] = ember.tensor(val)
            if e["forked"]:
                trainer.callback_metrics[name] = ember.tensor(val)
            if e["prog_bar"]:
                trainer.progress_bar_metrics[key] = val
            if e["logger"]:
                to_log[key] = val
        self.epoch_values = {}
        return to_log
