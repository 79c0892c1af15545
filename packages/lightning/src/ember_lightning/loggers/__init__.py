"""Experiment loggers."""

from ember_lightning.loggers.csv_logs import CSVLogger
from ember_lightning.loggers.logger import Logger
from ember_lightning.loggers.tensorboard import TensorBoardLogger

__all__ = ["CSVLogger", "Logger", "TensorBoardLogger"]
