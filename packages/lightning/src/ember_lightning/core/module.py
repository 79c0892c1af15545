"""LightningModule: an ember ``nn.Module`` that also says how it trains, validates and tests."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import ember
from ember_lightning.core.hooks import CheckpointHooks, DataHooks, ModelHooks
from ember_lightning.core.saving import HyperparametersMixin

_STEP_HOOKS = {"training_step", "on_train_batch_start", "on_train_batch_end", "on_before_backward",
               "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad", "optimizer_step"}


class LightningModule(ModelHooks, DataHooks, CheckpointHooks, HyperparametersMixin, ember.nn.Module):
    """Base class of the models the Trainer runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._trainer = None
        self._automatic_optimization = True
        self._current_fx_name: str | None = None

    # -- trainer-linked properties ------------------------------------------------------------
    @property
    def trainer(self):
        if self._trainer is None:
            raise RuntimeError(f"{self.__class__.__qualname__} is not attached to a `Trainer`.")
        return self._trainer

    @trainer.setter
    def trainer(self, trainer) -> None:
        object.__setattr__(self, "_trainer", trainer)

    @property
    def automatic_optimization(self) -> bool:
        """False means training_step calls ``manual_backward`` and steps optimizers itself."""
        return self._automatic_optimization

    @automatic_optimization.setter
    def automatic_optimization(self, value: bool) -> None:
        self._automatic_optimization = value

    @property
    def device(self):
        """The device of the module's parameters (cpu when it has none)."""
        for p in self.parameters():
            return p.device
        if self._trainer is not None:
            return self._trainer.strategy.root_device
        return ember.device("cpu")

    @property
    def dtype(self):
        for p in self.parameters():
            return p.dtype
        return ember.get_default_dtype()

    @property
    def current_epoch(self) -> int:
        return self._trainer.current_epoch if self._trainer is not None else 0

    @property
    def global_step(self) -> int:
        return self._trainer.global_step if self._trainer is not None else 0

    @property
    def logger(self):
        return self._trainer.logger if self._trainer is not None else None

    @property
    def loggers(self) -> list:
        return self._trainer.loggers if self._trainer is not None else []

    @property
    def on_gpu(self) -> bool:
        return self.device.type == "cuda"

    # -- steps ---------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Same as ``ember.nn.Module.forward``."""
        return super().forward(*args, **kwargs)

    def training_step(self, *args: Any, **kwargs: Any):
        """Compute and return the training loss (a tensor, a dict with "loss", or None to skip)."""
        raise NotImplementedError("`training_step` must be implemented to be used with the Lightning Trainer")

    def validation_step(self, *args: Any, **kwargs: Any):
        """Operates on a single batch of validation data."""

    def test_step(self, *args: Any, **kwargs: Any):
        """Operates on a single batch of test data."""

    def predict_step(self, *args: Any, **kwargs: Any) -> Any:
        """Returns the prediction of a batch (default: ``self(batch)``)."""
        batch = kwargs.get("batch", args[0])
        return self(batch)

    def configure_optimizers(self):
        """Return the optimizer(s) and optional LR scheduler(s) in any form Lightning accepts."""
        raise NotImplementedError("`configure_optimizers` must be implemented to be used with the Lightning Trainer")

    def configure_callbacks(self):
        """Callbacks to add to the Trainer's (replacing those of the same type)."""
        return []

    # -- logging ---------------------------------------------------------------------------------
    def log(self, name: str, value, prog_bar: bool = False, logger: bool | None = None, on_step: bool | None = None,
            on_epoch: bool | None = None, reduce_fx="mean", enable_graph: bool = False, sync_dist: bool = False,
            sync_dist_group=None, add_dataloader_idx: bool = True, batch_size: int | None = None,
            metric_attribute: str | None = None, rank_zero_only: bool = False) -> None:
        """Log a metric; defaults of ``on_step``/``on_epoch`` depend on the hook (as in Lightning).

        In ``training_step`` and the train batch hooks: ``on_step=True, on_epoch=False``; everywhere
        else: ``on_step=False, on_epoch=True``. ``reduce_fx`` ("mean", "sum", "max", "min" or a
        callable) reduces the epoch values (the mean weighted by ``batch_size``).
        """
        if self._trainer is None:
            warnings.warn("You are trying to `self.log()` but the `self.trainer` reference is not registered on the"
                          " model yet.", stacklevel=2)
            return
        fx = self._current_fx_name or ""
        if on_step is None:
            on_step = fx in _STEP_HOOKS
        if on_epoch is None:
            on_epoch = fx not in _STEP_HOOKS
        if logger is None:
            logger = True
        if sync_dist:  # every rank logs the same names in the same order: reduce over them
            value = self._trainer.strategy.reduce(value, group=sync_dist_group, reduce_op=reduce_fx)
        self._trainer._results.log(self._trainer, fx, name, value, prog_bar=prog_bar, logger=logger,
                                   on_step=on_step, on_epoch=on_epoch, reduce_fx=reduce_fx,
                                   batch_size=batch_size, add_dataloader_idx=add_dataloader_idx)

    def log_dict(self, dictionary: dict, prog_bar: bool = False, logger: bool | None = None, on_step: bool | None = None,
                 on_epoch: bool | None = None, reduce_fx="mean", enable_graph: bool = False, sync_dist: bool = False,
                 sync_dist_group=None, add_dataloader_idx: bool = True, batch_size: int | None = None,
                 rank_zero_only: bool = False) -> None:
        """Log every item of ``dictionary`` with the same options."""
        for k, v in dictionary.items():
            self.log(k, v, prog_bar=prog_bar, logger=logger, on_step=on_step, on_epoch=on_epoch, reduce_fx=reduce_fx,
                     sync_dist=sync_dist, sync_dist_group=sync_dist_group, add_dataloader_idx=add_dataloader_idx,
                     batch_size=batch_size)

    # -- optimization ----------------------------------------------------------------------------
    def optimizers(self, use_pl_optimizer: bool = True):
        """The optimizer(s) of the run (one object when there is one)."""
        opts = self.trainer.strategy._lightning_optimizers if use_pl_optimizer else self.trainer.optimizers
        return opts[0] if len(opts) == 1 else opts

    def lr_schedulers(self):
        """The LR scheduler(s) of the run: None, one scheduler, or a list."""
        scheds = [c.scheduler for c in self.trainer.lr_scheduler_configs]
        if not scheds:
            return None
        return scheds[0] if len(scheds) == 1 else scheds

    def manual_backward(self, loss, *args: Any, **kwargs: Any) -> None:
        """``loss.backward()`` through the precision plugin (loss scaling) for manual optimization."""
        self.trainer.strategy.backward(loss, None, *args, **kwargs)

    def backward(self, loss, *args: Any, **kwargs: Any) -> None:
        """Called to perform backward on the loss; override for custom behaviour."""
        loss.backward(*args, **kwargs)

    def toggle_optimizer(self, optimizer) -> None:
        """Freeze every parameter not optimized by ``optimizer`` (undo with untoggle_optimizer)."""
        opt = getattr(optimizer, "optimizer", optimizer)
        own = {id(p) for g in opt.param_groups for p in g["params"]}
        self._param_requires_grad_state = {}
        for p in self.parameters():
            self._param_requires_grad_state[id(p)] = p.requires_grad
            if id(p) not in own:
                p.requires_grad_(False)

    def untoggle_optimizer(self, optimizer) -> None:
        """Restore the ``requires_grad`` flags changed by toggle_optimizer."""
        state = getattr(self, "_param_requires_grad_state", {})
        for p in self.parameters():
            if id(p) in state:
                p.requires_grad_(state[id(p)])
        self._param_requires_grad_state = {}

    def clip_gradients(self, optimizer, gradient_clip_val: float | None = None,
                       gradient_clip_algorithm: str | None = None) -> None:
        """Clip the gradients of the parameters of ``optimizer`` by norm (default) or value."""
        if not gradient_clip_val:
            return
        algo = gradient_clip_algorithm or "norm"
        opt = getattr(optimizer, "optimizer", optimizer)
        params = [p for g in opt.param_groups for p in g["params"] if p.grad is not None]
        if algo == "norm":
            ember.nn.utils.clip_grad_norm_(params, gradient_clip_val)
        elif algo == "value":
            ember.nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            raise ValueError(f"gradient_clip_algorithm must be 'norm' or 'value', got {algo!r}")

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        """Called before each optimizer step; by default clips with the Trainer's settings."""
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer, optimizer_closure=None) -> None:
        """Step ``optimizer`` (the closure runs training_step and backward)."""
        optimizer.step(closure=optimizer_closure)

    def optimizer_zero_grad(self, epoch: int, batch_idx: int, optimizer) -> None:
        """Zero the gradients of ``optimizer``."""
        optimizer.zero_grad()

    def lr_scheduler_step(self, scheduler, metric) -> None:
        """Step ``scheduler`` (with ``metric`` for ReduceLROnPlateau)."""
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric)

    # -- checkpoints -------------------------------------------------------------------------------
    @classmethod
    def load_from_checkpoint(cls, checkpoint_path, map_location=None, hparams_file=None, strict: bool = True, **kwargs):
        """Build the model from the checkpoint's hyperparameters (overridden by ``kwargs``) and load its weights."""
        from ember_lightning.core.saving import load_hparams_from_yaml

        ckpt = ember.load(checkpoint_path, map_location=map_location, weights_only=True)
        hp = dict(ckpt.get("hyper_parameters", {}))
        if hparams_file is not None:
            hp.update(load_hparams_from_yaml(hparams_file))
        params = inspect.signature(cls.__init__).parameters
        takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in params.values())
        init = {k: v for k, v in hp.items() if takes_kwargs or k in params}
        init.update(kwargs)
        model = cls(**init)
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"], strict=strict)
        return model

    def print(self, *args: Any, **kwargs: Any) -> None:
        """Print (from the main process only)."""
        print(*args, **kwargs)

    def freeze(self) -> None:
        """Freeze all parameters and switch to eval mode."""
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def unfreeze(self) -> None:
        """Unfreeze all parameters and switch to train mode."""
        for p in self.parameters():
            p.requires_grad_(True)
        self.train()
