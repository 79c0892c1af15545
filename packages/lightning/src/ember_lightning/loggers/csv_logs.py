"""CSVLogger: metrics.csv and hparams.yaml in ``save_dir/name/version_N``."""

from __future__ import annotations

import csv
import os
from typing import Any

from ember_lightning.core.saving import save_hparams_to_yaml
from ember_lightning.loggers.logger import Logger
from ember_lightning.utilities.rank_zero import rank_zero_only


class CSVLogger(Logger):
    """Log metrics to ``metrics.csv`` (one row per ``log_metrics`` call, a "step" column) and hparams to YAML."""

    NAME_HPARAMS_FILE = "hparams.yaml"
    NAME_METRICS_FILE = "metrics.csv"

    def __init__(self, save_dir, name: str | None = "lightning_logs", version: int | str | None = None,
                 prefix: str = "", flush_logs_every_n_steps: int = 100) -> None:
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._prefix = prefix
        self._flush_every = flush_logs_every_n_steps
        self.hparams: dict[str, Any] = {}
        self.metrics: list[dict] = []
        self._keys: list[str] = []
        self._written = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = self._next_version()
        return self._version

    @property
    def root_dir(self) -> str:
        return os.path.join(self._save_dir, self._name)

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def log_dir(self) -> str:
        v = self.version
        return os.path.join(self.root_dir, v if isinstance(v, str) else f"version_{v}")

    def _next_version(self) -> int:
        if not os.path.isdir(self.root_dir):
            return 0
        found = [int(d.split("_")[1]) for d in os.listdir(self.root_dir)
                 if d.startswith("version_") and d.split("_")[1].isdigit() and os.path.isdir(os.path.join(self.root_dir, d))]
        return max(found) + 1 if found else 0

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Any = None, *args: Any, **kwargs: Any) -> None:
        params = params if isinstance(params, dict) else vars(params)
        self.hparams.update(params)
        os.makedirs(self.log_dir, exist_ok=True)
        save_hparams_to_yaml(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE), self.hparams)

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row = {(f"{self._prefix}-{k}" if self._prefix else k): float(v) for k, v in metrics.items()}
        row["step"] = step if step is not None else len(self.metrics)
        self.metrics.append(row)
        if (row["step"] + 1) % self._flush_every == 0:
            self.save()

    @rank_zero_only
    def save(self) -> None:
        """Write the pending rows; the whole file is rewritten when a new column appears."""
        if len(self.metrics) == self._written:
            return
        keys = list(self._keys)
        for row in self.metrics:
            keys.extend(k for k in row if k not in keys)
        os.makedirs(self.log_dir, exist_ok=True)
        path = os.path.join(self.log_dir, self.NAME_METRICS_FILE)
        rewrite = keys != self._keys or not os.path.exists(path)
        rows = self.metrics if rewrite else self.metrics[self._written:]
        with open(path, "w" if rewrite else "a", newline="", encoding="utf-8") as fp:
            writer = csv.DictWriter(fp, fieldnames=keys)
            if rewrite:
                writer.writeheader()
            writer.writerows(rows)
        self._keys, self._written = keys, len(self.metrics)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.save()
