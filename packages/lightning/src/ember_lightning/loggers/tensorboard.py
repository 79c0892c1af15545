"""TensorBoardLogger: write TensorBoard event files with ``tensorboardX`` (an optional extra:
``pip install ember-lightning[tensorboard]``).

Logs go to ``save_dir/name/version_N`` (``N`` is the next free number unless ``version`` is
given); the hyperparameters go into the event file (TensorBoard's HPARAMS tab) and into
``hparams.yaml`` in the same folder, as in Lightning.
"""

from __future__ import annotations

import importlib.util
import os
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from ember_lightning.loggers.logger import Logger
from ember_lightning.utilities.rank_zero import rank_zero_only

__all__ = ["TensorBoardLogger"]

_TENSORBOARDX_AVAILABLE = importlib.util.find_spec("tensorboardX") is not None


def _to_scalar(value: Any) -> Any:
    """ember tensors / numpy scalars become Python numbers (tensorboardX knows only torch/numpy)."""
    if hasattr(value, "item"):
        return value.item()
    return value


def _flatten_dict(params: Mapping[str, Any], prefix: str = "", sep: str = "/") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a/b": 1}`` (namespaces flatten like dicts)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Namespace):
            value = vars(value)
        if isinstance(value, Mapping):
            out.update(_flatten_dict(value, name, sep))
        else:
            out[name] = value
    return out


def _sanitize_params(params: dict[str, Any]) -> dict[str, Any]:
    """TensorBoard's hparams take bool/int/float/str: everything else is shown as its ``str``."""
    out = {}
    for key, value in params.items():
        value = _to_scalar(value)
        if callable(value) and not isinstance(value, type):
            value = getattr(value, "__name__", str(value))
        if not isinstance(value, bool | int | float | str):
            value = str(value)
        out[key] = value
    return out


class TensorBoardLogger(Logger):
    """Log to the local file system in TensorBoard's format.

    Args:
        save_dir: the root folder of the logs.
        name: the experiment's folder under ``save_dir`` (``""`` or ``None``: no such folder).
        version: an int (``version_<int>``), a str (used as the folder's name) or ``None`` (the
            next free ``version_N``).
        log_graph: accepted for compatibility; ember has no graph tracer, so no graph is written.
        default_hp_metric: log a placeholder ``hp_metric`` of -1 with the hyperparameters, so
            TensorBoard's HPARAMS tab shows them before a real ``hp_metric`` is logged.
        prefix: prepended (with ``-``) to every metric name.
        sub_dir: an extra folder under the version folder.
        **kwargs: passed to ``tensorboardX.SummaryWriter`` (``flush_secs``, ``max_queue``, ...).

    Raises:
        ModuleNotFoundError: if ``tensorboardX`` is not installed.
    """

    LOGGER_JOIN_CHAR = "-"

    def __init__(
        self,
        save_dir: str | os.PathLike,
        name: str | None = "lightning_logs",
        version: int | str | None = None,
        log_graph: bool = False,
        default_hp_metric: bool = True,
        prefix: str = "",
        sub_dir: str | os.PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        if not _TENSORBOARDX_AVAILABLE:
            raise ModuleNotFoundError(
                "`TensorBoardLogger` needs `tensorboardX`. Install it with "
                "`pip install ember-lightning[tensorboard]` (or `pip install tensorboardX`)."
            )
        super().__init__()
        self._save_dir = os.fspath(save_dir)
        self._name = name or ""
        self._version = version
        self._sub_dir = None if sub_dir is None else os.fspath(sub_dir)
        self._log_graph = log_graph
        self._default_hp_metric = default_hp_metric
        self._prefix = prefix
        self._kwargs = kwargs
        self._experiment: Any = None
        self.hparams: dict[str, Any] = {}

    # ------------------------------------------------------------- places
    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = self._get_next_version()
        return self._version

    @property
    def save_dir(self) -> str:
        return self._save_dir

    @property
    def root_dir(self) -> str:
        """``save_dir/name``: the parent of the version folders."""
        return os.path.join(self.save_dir, self.name)

    @property
    def log_dir(self) -> str:
        """``save_dir/name/version_N[/sub_dir]``: where the event files and hparams.yaml go."""
        version = self.version if isinstance(self.version, str) else f"version_{self.version}"
        log_dir = os.path.join(self.root_dir, version)
        if self._sub_dir is not None:
            log_dir = os.path.join(log_dir, os.path.expanduser(os.path.expandvars(self._sub_dir)))
        return os.path.expandvars(os.path.expanduser(log_dir))

    @property
    def sub_dir(self) -> str | None:
        return self._sub_dir

    def _get_next_version(self) -> int:
        if not os.path.isdir(self.root_dir):
            return 0
        versions = []
        for entry in os.listdir(self.root_dir):
            suffix = entry[len("version_") :]
            if (
                entry.startswith("version_")
                and suffix.isdigit()
                and os.path.isdir(os.path.join(self.root_dir, entry))
            ):
                versions.append(int(suffix))
        return max(versions) + 1 if versions else 0

    @property
    def experiment(self) -> Any:
        """The ``tensorboardX.SummaryWriter`` (created on first use): log anything it supports."""
        if self._experiment is None:
            from tensorboardX import SummaryWriter

            os.makedirs(self.log_dir, exist_ok=True)
            self._experiment = SummaryWriter(logdir=self.log_dir, **self._kwargs)
        return self._experiment

    # ------------------------------------------------------------ logging
    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Write each metric as a scalar (a dict value as a group of scalars) at ``step``."""
        for key, value in metrics.items():
            name = f"{self._prefix}{self.LOGGER_JOIN_CHAR}{key}" if self._prefix else key
            value = _to_scalar(value)
            if isinstance(value, Mapping):
                self.experiment.add_scalars(
                    name, {k: _to_scalar(v) for k, v in value.items()}, step
                )
                continue
            try:
                self.experiment.add_scalar(name, float(value), step)
            except (TypeError, ValueError) as ex:
                raise ValueError(
                    f"\n you tried to log {value} which is currently not supported. "
                    "Try a dict or a scalar/tensor."
                ) from ex

    @rank_zero_only
    def log_hyperparams(
        self, params: Mapping[str, Any] | Namespace, metrics: Mapping[str, Any] | None = None
    ) -> None:
        """Record hyperparameters (and optional metrics) for TensorBoard's HPARAMS tab."""
        if isinstance(params, Namespace):
            params = vars(params)
        params = dict(params or {})
        self.hparams.update(params)
        flat = _sanitize_params(_flatten_dict(params))
        if metrics is None:
            metrics = {"hp_metric": -1} if self._default_hp_metric else {}
        elif not isinstance(metrics, Mapping):
            metrics = {"hp_metric": metrics}
        metrics = {k: float(_to_scalar(v)) for k, v in metrics.items()}
        if metrics:
            self.log_metrics(metrics, 0)
        from tensorboardX.summary import hparams

        exp, ssi, sei = hparams(flat, metrics)
        writer = self.experiment._get_file_writer()
        for summary in (exp, ssi, sei):
            writer.add_summary(summary)

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        """No graph is written: ember has no tracer that produces TensorBoard's graph format."""

    @rank_zero_only
    def save(self) -> None:
        """Flush the event file and write ``hparams.yaml`` next to it (once)."""
        if self._experiment is not None:
            self._experiment.flush()
        hparams_file = os.path.join(self.log_dir, "hparams.yaml")
        if os.path.isdir(self.log_dir) and not os.path.isfile(hparams_file):
            from ember_lightning.core.saving import save_hparams_to_yaml

            save_hparams_to_yaml(hparams_file, self.hparams)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self._experiment is not None:
            self._experiment.flush()
            self._experiment.close()
        if status == "success":
            self.save()

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Nothing to do: TensorBoard does not track checkpoints."""

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_experiment"] = None  # the writer holds a thread and a file handle
        return state
