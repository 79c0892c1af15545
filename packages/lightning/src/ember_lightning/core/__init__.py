"""LightningModule and LightningDataModule."""

from ember_lightning.core.datamodule import LightningDataModule
from ember_lightning.core.module import LightningModule

__all__ = ["LightningDataModule", "LightningModule"]
