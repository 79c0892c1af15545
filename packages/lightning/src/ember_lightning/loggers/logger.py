"""Logger: the base class of experiment loggers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Logger(ABC):
    """Base class: loggers receive ``log_metrics(metrics, step)`` and ``log_hyperparams(params)``."""

    @property
    @abstractmethod
    def name(self) -> str | None:
        """The experiment name."""

    @property
    @abstractmethod
    def version(self) -> int | str | None:
        """The experiment version."""

    @property
    def root_dir(self) -> str | None:
        return None

    @property
    def log_dir(self) -> str | None:
        return None

    @property
    def save_dir(self) -> str | None:
        return None

    @property
    def group_separator(self) -> str:
        return "/"

    @abstractmethod
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Record metrics (a dict of floats) at ``step``."""

    @abstractmethod
    def log_hyperparams(self, params: dict[str, Any] | Any, *args: Any, **kwargs: Any) -> None:
        """Record hyperparameters."""

    def log_graph(self, model, input_array=None) -> None:  # noqa: B027 - optional hook
        """Record the model graph (optional)."""

    def save(self) -> None:  # noqa: B027 - optional hook
        """Flush what was logged to disk."""

    def finalize(self, status: str) -> None:
        """Called at the end of a run; ``status`` is "success", "failed" or "interrupted"."""
        self.save()

    def after_save_checkpoint(self, checkpoint_callback) -> None:  # noqa: B027 - optional hook
        """Called after a checkpoint was saved."""
