"""The Trainer."""

from ember_lightning.trainer.trainer import Trainer

__all__ = ["Trainer"]
