"""LightningDataModule: the data of a run, in one object."""

from __future__ import annotations

from typing import Any

from ember_lightning.core.hooks import DataHooks
from ember_lightning.core.saving import HyperparametersMixin


class LightningDataModule(DataHooks, HyperparametersMixin):
    """Groups ``prepare_data``, ``setup``, the ``*_dataloader`` methods and ``teardown``."""

    name: str | None = None

    def __init__(self) -> None:
        self.trainer = None

    def state_dict(self) -> dict[str, Any]:
        """State to save in checkpoints (empty by default)."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Reload the state returned by :meth:`state_dict`."""

    def on_exception(self, exception: BaseException) -> None:
        """Called when the run is interrupted by an exception."""
