"""Callbacks."""

from ember_lightning.callbacks.callback import Callback
from ember_lightning.callbacks.early_stopping import EarlyStopping
from ember_lightning.callbacks.gradient_accumulation_scheduler import GradientAccumulationScheduler
from ember_lightning.callbacks.lr_monitor import LearningRateMonitor
from ember_lightning.callbacks.model_checkpoint import ModelCheckpoint
from ember_lightning.callbacks.model_summary import ModelSummary
from ember_lightning.callbacks.progress import ProgressBar, RichProgressBar, TQDMProgressBar
from ember_lightning.callbacks.timer import Timer

__all__ = ["Callback", "EarlyStopping", "GradientAccumulationScheduler", "LearningRateMonitor", "ModelCheckpoint",
           "ModelSummary", "ProgressBar", "RichProgressBar", "TQDMProgressBar", "Timer"]
