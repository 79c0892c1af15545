"""Trainer: fit / resume / optimizers / accumulation / clipping / precision / callbacks (tiny models)."""

import csv
import os

import numpy as np
import pytest
from lightning_testutils import Regressor, loader, make_data

import ember
from ember_lightning import Trainer, seed_everything
from ember_lightning.callbacks import EarlyStopping, ModelCheckpoint

QUIET = dict(enable_progress_bar=False, enable_model_summary=False)


def params(m):
    return [p.detach().numpy().copy() for p in m.parameters()]


def test_resume_is_exact(tmp_path):
    ds = make_data()

    def run(max_epochs, ckpt=None, model=None):
        t = Trainer(max_epochs=max_epochs, default_root_dir=tmp_path, deterministic=True, logger=False, **QUIET)
        t.fit(model, loader(ds, shuffle=True), loader(ds), ckpt_path=ckpt)
        return t

    seed_everything(1)
    straight = Regressor(opt_form="sched")
    run(4, model=straight)
    seed_everything(1)
    first = Regressor(opt_form="sched")
    t = run(2, model=first)
    path = str(tmp_path / "mid.ckpt")
    t.save_checkpoint(path)
    seed_everything(123)  # a different RNG state: the checkpoint must restore it
    resumed = Regressor(opt_form="sched")
    t2 = run(4, ckpt=path, model=resumed)
    assert t2.global_step == 16 and t2.current_epoch == 4
    np.testing.assert_allclose(first.losses + resumed.losses, straight.losses, rtol=0, atol=0)
    for a, b in zip(params(resumed), params(straight), strict=True):
        np.testing.assert_array_equal(a, b)


class Forms(Regressor):
    def configure_optimizers(self):
        opt = ember.optim.SGD(self.parameters(), lr=0.1)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        f = self.hparams.opt_form
        if f == "list":
            return [opt]
        if f == "tuple":
            return [opt], [sched]
        if f == "dict":
            return {"optimizer": opt, "lr_scheduler": sched}
        if f == "dict_step":
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step", "frequency": 2}}
        if f == "list_dicts":
            return [{"optimizer": opt, "lr_scheduler": sched}]
        if f == "plateau":
            return {"optimizer": opt, "lr_scheduler": ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5),
                    "monitor": "train_loss_const"}
        return opt

    def on_train_epoch_end(self):
        self.log("train_loss_const", 1.0)


@pytest.mark.parametrize("form,expected_lr", [("optimizer", 0.1), ("list", 0.1), ("tuple", 0.1 * 0.5**2),
                                              ("dict", 0.1 * 0.5**2), ("list_dicts", 0.1 * 0.5**2),
                                              ("dict_step", 0.1 * 0.5**4), ("plateau", 0.1 * 0.5)])
def test_configure_optimizers_forms(tmp_path, form, expected_lr):
    m = Forms(opt_form=form)
    t = Trainer(max_epochs=2, limit_train_batches=4, default_root_dir=tmp_path, logger=False,
                enable_checkpointing=False, **QUIET)
    t.fit(m, loader(make_data()))
    assert len(t.optimizers) == 1
    assert t.optimizers[0].param_groups[0]["lr"] == pytest.approx(expected_lr)


def test_plateau_needs_monitor():
    class Bad(Regressor):
        def configure_optimizers(self):
            opt = ember.optim.SGD(self.parameters(), lr=0.1)
            return {"optimizer": opt, "lr_scheduler": ember.optim.lr_scheduler.ReduceLROnPlateau(opt)}

    with pytest.raises(Exception, match="monitor"):
        Trainer(max_epochs=1, logger=False, enable_checkpointing=False, **QUIET).fit(Bad(), loader(make_data()))


def test_accumulation_equals_big_batch(tmp_path):
    ds = make_data(16)
    seed_everything(0)
    a = Regressor()
    b = Regressor()
    b.load_state_dict(a.state_dict())
    kw = dict(max_epochs=1, logger=False, enable_checkpointing=False, **QUIET)
    Trainer(accumulate_grad_batches=4, **kw).fit(a, loader(ds, batch_size=4))
    Trainer(**kw).fit(b, loader(ds, batch_size=16))
    for x, y in zip(params(a), params(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("algo", ["norm", "value"])
def test_gradient_clipping(algo):
    seen = {}

    class Spy(Regressor):
        def configure_optimizers(self):
            return ember.optim.SGD(self.parameters(), lr=1.0)

        def on_before_optimizer_step(self, optimizer):
            seen["raw"] = [p.grad.numpy().copy() for p in self.parameters()]
            seen["before"] = params(self)

    m = Spy()
    Trainer(max_epochs=1, limit_train_batches=1, gradient_clip_val=0.05, gradient_clip_algorithm=algo, logger=False,
            enable_checkpointing=False, **QUIET).fit(m, loader(make_data()))
    raw = seen["raw"]
    if algo == "norm":
        total = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in raw))
        clipped = [g * min(1.0, 0.05 / (total + 1e-6)) for g in raw]
    else:
        clipped = [np.clip(g, -0.05, 0.05) for g in raw]
    for before, after, g in zip(seen["before"], params(m), clipped, strict=True):
        np.testing.assert_allclose(before - after, g, rtol=1e-4, atol=1e-7)


def test_precision_64_true():
    m = Regressor()
    Trainer(max_epochs=1, limit_train_batches=2, precision="64-true", logger=False, enable_checkpointing=False,
            **QUIET).fit(m, loader(make_data()))
    assert all(p.dtype == ember.float64 for p in m.parameters())


def test_precision_bf16_mixed():
    dtypes = []

    class Spy(Regressor):
        def training_step(self, batch, batch_idx):
            dtypes.append(self.net[0](batch[0]).dtype)
            return super().training_step(batch, batch_idx)

    m = Spy()
    t = Trainer(max_epochs=1, limit_train_batches=2, precision="bf16-mixed", logger=False, enable_checkpointing=False,
                **QUIET)
    t.fit(m, loader(make_data()))
    assert dtypes == [ember.bfloat16, ember.bfloat16]
    assert all(p.dtype == ember.float32 for p in m.parameters())
    assert t.precision_plugin.scaler is None


def test_precision_16_mixed_uses_grad_scaler():
    t = Trainer(max_epochs=1, limit_train_batches=2, precision="16-mixed", logger=False, enable_checkpointing=False,
                **QUIET)
    m = Regressor()
    t.fit(m, loader(make_data()))
    assert isinstance(t.precision_plugin.scaler, ember.amp.GradScaler)
    assert len(m.losses) == 2 and t.global_step == 2


def test_model_checkpoint_top_k_last_and_names(tmp_path):
    class Val(Regressor):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", [5.0, 3.0, 4.0, 1.0][min(self.current_epoch, 3)])

    ck = ModelCheckpoint(dirpath=tmp_path, filename="{epoch}-{val_loss:.2f}", monitor="val_loss", save_top_k=2,
                         save_last=True)
    t = Trainer(max_epochs=4, callbacks=[ck], logger=False, **QUIET)
    t.fit(Val(), loader(make_data()), loader(make_data(8)))
    assert sorted(os.listdir(tmp_path)) == ["epoch=1-val_loss=3.00.ckpt", "epoch=3-val_loss=1.00.ckpt", "last.ckpt"]
    assert ck.best_model_path.endswith("epoch=3-val_loss=1.00.ckpt") and ck.best_model_score == 1.0
    ckpt = ember.load(ck.last_model_path, weights_only=False)
    assert ckpt["epoch"] == 3 and ckpt["global_step"] == 16 and ck.state_key in ckpt["callbacks"]
    assert {"state_dict", "optimizer_states", "lr_schedulers", "loops", "rng_states", "ember_version",
            "ember_lightning_version", "hyper_parameters"} <= set(ckpt)
    res = t.validate(Val(), loader(make_data(8)), ckpt_path="best")
    assert res == [{"val_loss": 1.0}]  # the best checkpoint is from epoch 3


def test_early_stopping_epoch():
    class Val(Regressor):
        def validation_step(self, batch, batch_idx):
            self.log("val_loss", [3.0, 2.0, 2.5, 2.1, 2.0, 1.0, 0.5][self.current_epoch])

    es = EarlyStopping("val_loss", patience=3, min_delta=0.0)
    t = Trainer(max_epochs=7, callbacks=[es], logger=False, enable_checkpointing=False, **QUIET)
    t.fit(Val(), loader(make_data()), loader(make_data(8)))
    assert es.stopped_epoch == 4 and t.current_epoch == 5


def test_csv_logger_files(tmp_path):
    t = Trainer(max_epochs=2, default_root_dir=tmp_path, log_every_n_steps=1, **QUIET)
    t.fit(Regressor(lr=0.01), loader(make_data()), loader(make_data(8)))
    log_dir = tmp_path / "lightning_logs" / "version_0"
    assert t.log_dir == str(log_dir)
    rows = list(csv.DictReader(open(log_dir / "metrics.csv")))
    assert [r["step"] for r in rows if r["train_loss"]] == ["1", "2", "3", "4", "5", "6", "7", "8"]
    assert len([r for r in rows if r["val_loss"]]) == 2
    assert "lr: 0.01" in (log_dir / "hparams.yaml").read_text()
    assert sorted(os.listdir(log_dir / "checkpoints")) == ["epoch=1-step=8.ckpt"]


def test_fast_dev_run_and_limits(tmp_path):
    m = Regressor()
    t = Trainer(fast_dev_run=True, default_root_dir=tmp_path, **QUIET)
    t.fit(m, loader(make_data()), loader(make_data()))
    assert t.global_step == 1 and len(m.losses) == 1 and not os.listdir(tmp_path)
    t = Trainer(max_epochs=1, limit_train_batches=0.5, limit_val_batches=1, logger=False, enable_checkpointing=False,
                **QUIET)
    t.fit(Regressor(), loader(make_data()), loader(make_data()))
    assert t.num_training_batches == 2 and t.global_step == 2 and t.num_val_batches == [1]


def test_predict_and_test_outputs():
    m = Regressor()
    t = Trainer(logger=False, enable_checkpointing=False, **QUIET)
    preds = t.predict(m, loader(make_data(10), batch_size=4))
    assert [p.shape for p in preds] == [(4, 1), (4, 1), (2, 1)]
    ds = make_data(8)
    out = t.test(m, loader(ds, batch_size=8))
    x, y = ds.tensors
    expected = float(ember.nn.functional.mse_loss(m(x), y))
    assert out[0]["test_loss"] == pytest.approx(expected, rel=1e-6)


def test_manual_optimization_counts_steps():
    class Manual(Regressor):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False

        def training_step(self, batch, batch_idx):
            opt = self.optimizers()
            opt.zero_grad()
            loss = ember.nn.functional.mse_loss(self(batch[0]), batch[1])
            self.manual_backward(loss)
            opt.step()
            return loss

    t = Trainer(max_epochs=1, logger=False, enable_checkpointing=False, **QUIET)
    m = Manual()
    before = params(m)
    t.fit(m, loader(make_data()))
    assert t.global_step == 4 and not np.array_equal(before[0], params(m)[0])


def test_default_max_epochs_and_hparams():
    t = Trainer(logger=False, **QUIET)
    assert t.max_epochs == 1000
    assert Trainer(max_steps=5, logger=False, **QUIET).max_epochs == -1
    assert Regressor(lr=0.3).hparams.lr == 0.3


def test_keyboard_interrupt_ends_cleanly_and_leaves_no_partial_files(tmp_path):
    from ember_lightning import Callback, Trainer
    from ember_lightning.callbacks import ModelCheckpoint
    from ember_lightning.trainer.states import TrainerStatus

    class Interrupt(Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.global_step == 5:
                raise KeyboardInterrupt

    seen = []

    class Watch(Callback):
        def on_exception(self, trainer, pl_module, exception):
            seen.append(type(exception).__name__)

    model = Regressor()
    trainer = Trainer(max_epochs=5, default_root_dir=tmp_path, enable_progress_bar=False,
                      callbacks=[Interrupt(), Watch(),
                                 ModelCheckpoint(dirpath=tmp_path / "ck", every_n_train_steps=2)])
    with pytest.warns(UserWarning, match="KeyboardInterrupt"):
        trainer.fit(model, ember.utils.data.DataLoader(make_data(), batch_size=4))
    assert trainer.state.status == TrainerStatus.INTERRUPTED and seen == ["KeyboardInterrupt"]
    assert trainer.global_step == 5
    files = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert files and all(name.endswith(".ckpt") for name in files)  # no temp files left
    for path in (tmp_path / "ck").iterdir():
        assert ember.load(path)["global_step"] in (2, 4)  # each checkpoint is complete


def test_auto_accelerator_prefers_gpus_but_not_host_cpu_drivers(monkeypatch):
    from ember_lightning.trainer.trainer import _resolve_accelerator

    class Backend:
        def __init__(self, accelerator):
            self.accelerator = accelerator

        def is_accelerator(self):
            return self.accelerator

    monkeypatch.setattr(ember.backends, "available_backends", lambda: ["cpu", "opencl"])
    monkeypatch.setattr(ember.backends, "get_backend", lambda name: Backend(False))  # e.g. pocl
    assert _resolve_accelerator("auto") == "cpu"
    monkeypatch.setattr(ember.backends, "get_backend", lambda name: Backend(True))  # a GPU
    assert _resolve_accelerator("auto") == "opencl"
