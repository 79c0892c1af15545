"""Builds checkpoint dicts and restores a run from one."""

from __future__ import annotations

import ember
import ember_lightning
from ember_lightning.utilities.seed import _collect_rng_states, _set_rng_states


def dump_checkpoint(trainer, weights_only: bool = False) -> dict:
    """Everything needed to continue the run exactly (or only the weights)."""
    model = trainer.lightning_module
    ckpt = {
        "epoch": trainer.current_epoch,
        "global_step": trainer.global_step,
        "ember_lightning_version": ember_lightning.__version__,
        "ember_version": ember.__version__,
        "state_dict": model.state_dict(),
        "loops": {"fit_loop": dict(trainer._loop_state)},
    }
    if not weights_only:
        ckpt["callbacks"] = {cb.state_key: cb.state_dict() for cb in trainer.callbacks}
        ckpt["optimizer_states"] = [o.state_dict() for o in trainer.optimizers]
        ckpt["lr_schedulers"] = [c.scheduler.state_dict() for c in trainer.lr_scheduler_configs]
        ckpt["precision_plugin"] = trainer.precision_plugin.state_dict()
        ckpt["rng_states"] = _collect_rng_states()
        for cb in trainer.callbacks:
            cb.on_save_checkpoint(trainer, model, ckpt)
    if model.hparams:
        ckpt["hparams_name"] = "kwargs"
        ckpt["hyper_parameters"] = dict(model.hparams)
    dm = trainer.datamodule
    if dm is not None:
        if dm.hparams:
            ckpt["datamodule_hyper_parameters"] = dict(dm.hparams)
        ckpt[type(dm).__qualname__] = dm.state_dict()
    model.on_save_checkpoint(ckpt)
    return ckpt


def restore_training_state(trainer, ckpt: dict) -> None:
    """Restore optimizers, schedulers, loop progress, callbacks and RNG states (model already loaded)."""
    for opt, state in zip(trainer.optimizers, ckpt.get("optimizer_states", []), strict=False):
        opt.load_state_dict(state)
    for cfg, state in zip(trainer.lr_scheduler_configs, ckpt.get("lr_schedulers", []), strict=False):
        cfg.scheduler.load_state_dict(state)
    trainer.precision_plugin.load_state_dict(ckpt.get("precision_plugin", {}))
    for cb in trainer.callbacks:
        state = ckpt.get("callbacks", {}).get(cb.state_key)
        if state is not None:
            cb.load_state_dict(state)
    loop = ckpt.get("loops", {}).get("fit_loop")
    if loop:
        trainer._loop_state.update(loop)
    trainer.global_step = ckpt["global_step"]
    # saved inside the epoch-end hooks: that epoch is done, continue with the next one
    done = trainer._loop_state.get("epoch_finished") and trainer._loop_state.get("epoch") == ckpt["epoch"]
    trainer.current_epoch = ckpt["epoch"] + (1 if done else 0)
    if "rng_states" in ckpt:
        trainer._resume_rng = ckpt["rng_states"]
        _set_rng_states(ckpt["rng_states"])


def restore_model(trainer, ckpt: dict) -> None:
    model = trainer.lightning_module
    model.on_load_checkpoint(ckpt)
    for cb in trainer.callbacks:
        cb.on_load_checkpoint(trainer, model, ckpt)
    model.load_state_dict(ckpt["state_dict"])
    dm = trainer.datamodule
    if dm is not None and type(dm).__qualname__ in ckpt:
        dm.load_state_dict(ckpt[type(dm).__qualname__])
