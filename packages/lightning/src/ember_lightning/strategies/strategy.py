"""Strategy base class and the single-device strategy."""

from __future__ import annotations

import contextlib

import ember
from ember_lightning.core.optimizer import LightningOptimizer


class Strategy:
    """Places the model and batches on devices and runs backward / optimizer steps.

    A distributed strategy overrides ``setup`` (wrap the model), ``reduce`` and ``barrier``.
    """

    def __init__(self, device, precision_plugin) -> None:
        self.root_device = ember.device(device)
        self.precision_plugin = precision_plugin
        self.model = None
        self.optimizers: list = []
        self._lightning_optimizers: list[LightningOptimizer] = []

    @property
    def is_global_zero(self) -> bool:
        return True

    def setup(self, trainer, model) -> None:
        """Move and convert the model for this strategy."""
        self._trainer = trainer
        model = self.precision_plugin.convert_module(model)
        self.model = model.to(self.root_device)

    def set_optimizers(self, trainer, optimizers) -> None:
        self.optimizers = list(optimizers)
        self._lightning_optimizers = []
        for opt in self.optimizers:
            lopt = LightningOptimizer(opt)
            lopt._trainer = trainer
            self._lightning_optimizers.append(lopt)

    def batch_to_device(self, model, batch, dataloader_idx: int = 0):
        batch = model.on_before_batch_transfer(batch, dataloader_idx)
        batch = model.transfer_batch_to_device(batch, self.root_device, dataloader_idx)
        batch = self.precision_plugin.convert_input(batch)
        return model.on_after_batch_transfer(batch, dataloader_idx)

    def backward(self, loss, optimizer, *args, **kwargs) -> None:
        plugin = self.precision_plugin
        if getattr(plugin, "scaler", None) is not None:
            loss = plugin.scaler.scale(loss)
        self.model.backward(loss, *args, **kwargs)

    def training_step(self, *args, **kwargs):
        """Run the LightningModule's ``training_step`` (a distributed strategy runs it through
        its wrapper, e.g. DistributedDataParallel)."""
        return self._trainer._call_module("training_step", *args, **kwargs)

    def block_backward_sync(self):
        """Context for the backward passes of accumulated (non-stepping) batches."""
        return contextlib.nullcontext()

    def process_dataloader(self, dataloader, kind: str):
        """The dataloader to use for ``kind`` ("train", "val", "test"): unchanged here."""
        return dataloader

    def reduce(self, value, group=None, reduce_op="mean"):
        """``value`` reduced over all processes (one process: itself)."""
        return value

    def barrier(self, name: str | None = None) -> None:
        pass

    def broadcast(self, obj, src: int = 0):
        return obj


class SingleDeviceStrategy(Strategy):
    """Everything on one device."""
