"""Tests of LearningRateMonitor, the progress bars, ModelSummary, Timer and
GradientAccumulationScheduler: each in isolation against a minimal fake trainer, and end to end
through ``ember_lightning.Trainer`` when the core is importable."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest

import ember
from ember import nn
from ember_lightning.callbacks.gradient_accumulation_scheduler import (
    GradientAccumulationScheduler,
)
from ember_lightning.callbacks.lr_monitor import LearningRateMonitor
from ember_lightning.callbacks.model_summary import (
    ModelSummary,
    get_human_readable_count,
    summarize,
)
from ember_lightning.callbacks.progress import rich_progress
from ember_lightning.callbacks.progress.progress_bar import ProgressBar
from ember_lightning.callbacks.progress.tqdm_progress import Tqdm, TQDMProgressBar
from ember_lightning.callbacks.timer import Timer
from ember_lightning.utilities.exceptions import MisconfigurationException


class RecordingLogger:
    """The logger interface the callbacks use: records every ``log_metrics`` call."""

    def __init__(self, version=3):
        self.calls = []
        self.version = version

    def log_metrics(self, metrics, step):
        self.calls.append((dict(metrics), step))


def fake_trainer(**kw):
    base = dict(
        loggers=[RecordingLogger()],
        optimizers=[],
        lr_scheduler_configs=[],
        global_step=0,
        current_epoch=0,
        should_stop=False,
        log_every_n_steps=1,
        callback_metrics={},
        progress_bar_metrics={},
        sanity_checking=False,
        training=True,
        num_training_batches=4,
        num_val_batches=[2],
        num_sanity_val_steps=2,
        num_test_batches=[3],
        num_predict_batches=[2],
        is_global_zero=True,
        accumulate_grad_batches=1,
        state=SimpleNamespace(fn="fit", stage="train"),
    )
    base.update(kw)
    return SimpleNamespace(**base)


def sched_config(scheduler, interval="epoch", name=None):
    return SimpleNamespace(
        scheduler=scheduler, interval=interval, frequency=1, monitor=None, name=name
    )


def params(n=1):
    return [nn.Parameter(ember.zeros(2)) for _ in range(n)]


# --------------------------------------------------------------------------- LearningRateMonitor
def test_lr_monitor_rejects_bad_interval():
    with pytest.raises(
        MisconfigurationException, match="logging_interval should be `step` or `epoch` or `None`"
    ):
        LearningRateMonitor(logging_interval="batch")


def test_lr_monitor_needs_a_logger():
    trainer = fake_trainer(loggers=[])
    with pytest.raises(MisconfigurationException, match="no logger"):
        LearningRateMonitor().on_train_start(trainer, None)


def test_lr_monitor_names_follow_lightning():
    adam1 = ember.optim.Adam(params(), lr=0.01)
    adam2 = ember.optim.Adam(params(), lr=0.02)
    sgd = ember.optim.SGD([{"params": params()}, {"params": params(), "lr": 0.5}], lr=0.1)
    named = ember.optim.SGD(
        [{"params": params(), "name": "enc"}, {"params": params(), "name": "dec"}], lr=0.3
    )
    trainer = fake_trainer(optimizers=[adam1, adam2, sgd, named])
    mon = LearningRateMonitor(logging_interval="step")
    mon.on_train_start(trainer, None)
    assert list(mon.lrs) == [
        "lr-Adam",
        "lr-Adam-1",
        "lr-SGD/pg1",
        "lr-SGD/pg2",
        "lr-SGD-1/enc",
        "lr-SGD-1/dec",
    ]
    mon.on_train_batch_start(trainer, None, None, 0)
    metrics, step = trainer.loggers[0].calls[-1]
    assert step == 0
    assert metrics == {
        "lr-Adam": 0.01,
        "lr-Adam-1": 0.02,
        "lr-SGD/pg1": 0.1,
        "lr-SGD/pg2": 0.5,
        "lr-SGD-1/enc": 0.3,
        "lr-SGD-1/dec": 0.3,
    }
    # the values are also exposed as callback metrics (tensors)
    assert float(trainer.callback_metrics["lr-SGD/pg2"].item()) == 0.5


def test_lr_monitor_rejects_duplicate_group_names():
    opt = ember.optim.SGD(
        [{"params": params(), "name": "x"}, {"params": params(), "name": "x"}], lr=1
    )
    with pytest.raises(MisconfigurationException, match="duplicated parameter group names"):
        LearningRateMonitor().on_train_start(fake_trainer(optimizers=[opt]), None)


def test_lr_monitor_follows_scheduler_interval():
    opt = ember.optim.SGD(params(), lr=0.1)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    plain = ember.optim.Adam(params(), lr=0.003)
    trainer = fake_trainer(optimizers=[opt, plain], lr_scheduler_configs=[sched_config(sched)])
    mon = LearningRateMonitor()  # None: each scheduler at its own interval
    mon.on_train_start(trainer, None)
    logger = trainer.loggers[0]
    for epoch in range(3):
        trainer.current_epoch = epoch
        mon.on_train_epoch_start(trainer, None)
        # as in Lightning, optimizers without a scheduler are logged at both intervals
        assert logger.calls[-1][0] == {"lr-SGD": pytest.approx(0.1 * 0.5**epoch), "lr-Adam": 0.003}
        mon.on_train_batch_start(trainer, None, None, 0)
        # step-interval logging only covers optimizers without an epoch scheduler
        assert logger.calls[-1][0] == {"lr-Adam": 0.003}
        trainer.global_step += 1
        opt.step()
        sched.step()
    assert mon.lrs["lr-SGD"] == pytest.approx([0.1, 0.05, 0.025])


def test_lr_monitor_scheduler_name_and_log_every_n_steps():
    opt = ember.optim.SGD(params(), lr=0.2)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1)
    trainer = fake_trainer(
        optimizers=[opt],
        lr_scheduler_configs=[sched_config(sched, "step", "my-lr")],
        log_every_n_steps=2,
    )
    mon = LearningRateMonitor(logging_interval="epoch")
    mon.on_train_start(trainer, None)
    mon.on_train_batch_start(trainer, None, None, 0)
    assert trainer.loggers[0].calls == []  # "epoch": nothing at steps
    mon.on_train_epoch_start(trainer, None)
    assert trainer.loggers[0].calls == [({"my-lr": 0.2}, 0)]
    mon2 = LearningRateMonitor(logging_interval="step")
    trainer.loggers = [RecordingLogger()]
    mon2.on_train_start(trainer, None)
    for step in range(4):
        trainer.global_step = step
        mon2.on_train_batch_start(trainer, None, None, step)
    assert [s for _, s in trainer.loggers[0].calls] == [1, 3]  # every 2nd step


def test_lr_monitor_momentum_and_weight_decay():
    adam = ember.optim.Adam(params(), lr=0.01, betas=(0.8, 0.99), weight_decay=0.05)
    sgd = ember.optim.SGD(params(), lr=0.1, momentum=0.7)
    trainer = fake_trainer(optimizers=[adam, sgd])
    mon = LearningRateMonitor(log_momentum=True, log_weight_decay=True)
    mon.on_train_start(trainer, None)
    mon.on_train_batch_start(trainer, None, None, 0)
    metrics = trainer.loggers[0].calls[-1][0]
    assert metrics == {
        "lr-Adam": 0.01,
        "lr-Adam-momentum": 0.8,
        "lr-Adam-weight_decay": 0.05,
        "lr-SGD": 0.1,
        "lr-SGD-momentum": 0.7,
        "lr-SGD-weight_decay": 0.0,
    }
    assert mon.last_momentum_values["lr-SGD-momentum"] == 0.7


# ----------------------------------------------------------------------------- progress bars
class FakeModule:
    pass


def run_fit_hooks(bar, trainer, losses, val_batches=2):
    pl = FakeModule()
    bar.setup(trainer, pl, "fit")
    trainer.sanity_checking = True
    bar.on_sanity_check_start(trainer, pl)
    bar.on_validation_start(trainer, pl)
    for i in range(2):
        bar.on_validation_batch_start(trainer, pl, None, i)
        bar.on_validation_batch_end(trainer, pl, None, None, i)
    bar.on_validation_end(trainer, pl)
    bar.on_sanity_check_end(trainer, pl)
    trainer.sanity_checking = False
    bar.on_train_start(trainer, pl)
    bar.on_train_epoch_start(trainer, pl)
    for i, loss in enumerate(losses):
        bar.on_train_batch_end(trainer, pl, {"loss": ember.tensor(loss)}, None, i)
    trainer.training = False
    bar.on_validation_start(trainer, pl)
    for i in range(val_batches):
        bar.on_validation_batch_start(trainer, pl, None, i)
        bar.on_validation_batch_end(trainer, pl, None, None, i)
    trainer.progress_bar_metrics = {"val_acc": ember.tensor(0.875)}
    bar.on_validation_end(trainer, pl)
    trainer.training = True
    bar.on_train_epoch_end(trainer, pl)
    bar.on_train_end(trainer, pl)


def test_progress_bar_base_metrics_and_totals():
    bar = ProgressBar()
    with pytest.raises(TypeError, match="has not been set"):
        _ = bar.trainer
    trainer = fake_trainer(progress_bar_metrics={"acc": ember.tensor(0.5)}, num_val_batches=[5, 1])
    bar.setup(trainer, None, "fit")
    for i, loss in enumerate([1.0, 2.0, 4.0]):
        bar.on_train_batch_end(trainer, None, ember.tensor(loss), None, i)
    assert bar.get_metrics(trainer, None) == {"v_num": 3, "loss": pytest.approx(7 / 3), "acc": 0.5}
    # a logged "loss" wins over the running loss
    trainer.progress_bar_metrics = {"loss": 9.0}
    assert bar.get_metrics(trainer, None)["loss"] == 9.0
    assert bar.total_train_batches == 4
    assert bar.total_val_batches == 6
    trainer.sanity_checking = True
    assert bar.total_val_batches == 3  # min(2, 5) + min(2, 1)
    assert bar.has_dataloader_changed(1) and not bar.has_dataloader_changed(1)
    assert bar.total_val_batches_current_dataloader == 1
    trainer.loggers = [RecordingLogger(version="version_12345")]
    assert bar.get_metrics(trainer, None)["v_num"] == "2345"


def test_tqdm_format_num():
    # the values Lightning's Tqdm.format_num gives
    assert Tqdm.format_num(0.123456) == "0.123"
    assert Tqdm.format_num(0.5) == "0.500"
    assert Tqdm.format_num(12.3456) == "12.30"
    assert Tqdm.format_num(1234567.0) == "1.23e+6"
    assert Tqdm.format_num(7) == "7"
    assert Tqdm.format_num("5") == "5.000"
    assert Tqdm.format_num("abc") == "abc"


def test_tqdm_progress_bar_draws_epoch_and_metrics():
    bar = TQDMProgressBar()
    bar.file = io.StringIO()
    trainer = fake_trainer()
    run_fit_hooks(bar, trainer, [1.0, 0.5, 0.25, 0.25])
    out = bar.file.getvalue()
    assert "Sanity Checking" in out
    assert "Epoch 0" in out
    assert "4/4" in out
    assert "Validation" in out
    # the final postfix: v_num, running loss (mean of the 4 losses = 0.5), prog_bar metric
    final = out.rstrip().split("\r")[-1]
    assert "v_num=3" in out
    assert "loss=0.500," in out
    assert "val_acc=0.875]" in out
    assert final  # something was drawn last


def test_tqdm_refresh_rate_and_disable():
    bar = TQDMProgressBar(refresh_rate=2)
    assert bar._should_update(2, 5) and not bar._should_update(3, 5) and bar._should_update(5, 5)
    bar = TQDMProgressBar(refresh_rate=0)
    assert bar.is_disabled
    bar.file = io.StringIO()
    run_fit_hooks(bar, fake_trainer(), [1.0, 1.0, 1.0, 1.0])
    assert bar.file.getvalue() == ""
    with pytest.raises(ValueError, match="refresh_rate"):
        TQDMProgressBar(refresh_rate=-1)


def test_tqdm_test_and_predict_bars():
    bar = TQDMProgressBar()
    bar.file = io.StringIO()
    trainer = fake_trainer(state=SimpleNamespace(fn="test", stage="test"))
    bar.setup(trainer, None, "test")
    bar.on_test_start(trainer, None)
    for i in range(3):
        bar.on_test_batch_start(trainer, None, None, i)
        bar.on_test_batch_end(trainer, None, None, None, i)
    bar.on_test_end(trainer, None)
    bar.on_predict_start(trainer, None)
    for i in range(2):
        bar.on_predict_batch_start(trainer, None, None, i)
        bar.on_predict_batch_end(trainer, None, None, None, i)
    bar.on_predict_end(trainer, None)
    out = bar.file.getvalue()
    assert "Testing" in out and "3/3" in out
    assert "Predicting" in out and "2/2" in out


def test_rich_progress_bar_draws(monkeypatch):
    pytest.importorskip("rich")
    buf = io.StringIO()
    bar = rich_progress.RichProgressBar(console_kwargs={"file": buf, "width": 160})
    trainer = fake_trainer()
    run_fit_hooks(bar, trainer, [2.0, 1.0, 1.0, 2.0])
    out = buf.getvalue()
    assert "Epoch 0" in out
    assert "4/4" in out
    assert "loss: 1.500" in out
    assert "val_acc: 0.875" in out
    assert bar.progress is None  # stopped at train end


def test_rich_progress_bar_without_rich(monkeypatch):
    monkeypatch.setattr(rich_progress, "_RICH_AVAILABLE", False)
    with pytest.raises(ModuleNotFoundError, match="pip install"):
        rich_progress.RichProgressBar()


# ----------------------------------------------------------------------------- ModelSummary
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 20), nn.ReLU())  # 10*20 + 20 = 220
        self.head = nn.Linear(20, 5)  # 105
        self.norm = nn.BatchNorm1d(5)  # 10
        self.norm.eval()
        self.norm.weight.requires_grad_(False)  # 5 frozen


def test_human_readable_count():
    # the examples of Lightning's docstring
    assert get_human_readable_count(123) == "123  "
    assert get_human_readable_count(1234) == "1.2 K"
    assert get_human_readable_count(2e6) == "2.0 M"
    assert get_human_readable_count(3e9) == "3.0 B"
    assert get_human_readable_count(4e14) == "400 T"
    assert get_human_readable_count(5e15) == "5,000 T"
    assert get_human_readable_count(0) == "0  "
    with pytest.raises(ValueError):
        get_human_readable_count(-1)


def test_summary_counts_and_table():
    s = summarize(Net(), max_depth=1)
    assert s.layer_names == ["encoder", "head", "norm"]
    assert s.layer_types == ["Sequential", "Linear", "BatchNorm1d"]
    assert s.param_nums == [220, 105, 10]
    assert s.total_parameters == 335
    assert s.trainable_parameters == 330
    assert s.model_size == pytest.approx(335 * 4 / 1e6)
    # Net, encoder, Linear, ReLU, head train; norm eval
    assert s.total_training_modes == {"train": 5, "eval": 1}
    lines = str(s).splitlines()
    assert lines[0] == "  | Name    | Type        | Params | Mode "
    # Lightning's width: sum of the column widths (1+7+11+6+5) + 3 per column and one more
    assert lines[1] == "-" * 48
    assert lines[2] == "0 | encoder | Sequential  | 220    | train"
    assert lines[4] == "2 | norm    | BatchNorm1d | 10     | eval "
    assert lines[6:] == [
        "330       Trainable params",
        "5         Non-trainable params",
        "335       Total params",
        "0.001     Total estimated model params size (MB)",
        "5         Modules in train mode",
        "1         Modules in eval mode",
    ]


def test_summary_depth_and_dtype_size():
    deep = summarize(Net(), max_depth=-1)
    assert deep.layer_names == ["encoder", "encoder.0", "encoder.1", "head", "norm"]
    assert summarize(Net(), max_depth=0).layer_names == []
    net64 = Net().double()
    assert summarize(net64).model_size == pytest.approx(335 * 8 / 1e6)
    with pytest.raises(ValueError, match="max_depth"):
        summarize(Net(), max_depth=-2)


def test_model_summary_callback_prints(capsys):
    ModelSummary(max_depth=2).on_fit_start(fake_trainer(), Net())
    out = capsys.readouterr().out
    assert "encoder.0 | Linear" in out and "335       Total params" in out
    ModelSummary(max_depth=0).on_fit_start(fake_trainer(), Net())
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------------------------ Timer
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr("ember_lightning.callbacks.timer._monotonic", c)
    return c


@pytest.mark.parametrize(
    "duration, seconds",
    [
        ("00:00:01:30", 90),
        ("01:02:03:04", 86400 + 7200 + 180 + 4),
        ({"hours": 1, "minutes": 1}, 3660),
        (timedelta(seconds=5), 5),
    ],
)
def test_timer_durations(duration, seconds):
    assert Timer(duration).time_remaining() == seconds


def test_timer_bad_arguments():
    with pytest.raises(MisconfigurationException, match="DD:HH:MM:SS"):
        Timer("1:30")
    with pytest.raises(MisconfigurationException, match="interval"):
        Timer("00:00:00:01", interval="batch")
    assert Timer().time_remaining() is None


def test_timer_stops_training_on_step(clock, capsys):
    timer = Timer("00:00:00:10")
    trainer = fake_trainer()
    timer.on_fit_start(trainer, None)
    timer.on_train_start(trainer, None)
    clock.now += 6
    timer.on_train_batch_end(trainer, None, None, None, 0)
    assert trainer.should_stop is False
    assert timer.time_elapsed() == 6 and timer.time_remaining() == 4
    clock.now += 4
    timer.on_train_batch_end(trainer, None, None, None, 1)
    assert trainer.should_stop is True
    assert "Time limit reached. Elapsed time is 0:00:10" in capsys.readouterr().out
    timer.on_train_end(trainer, None)
    clock.now += 100
    assert timer.time_elapsed("train") == 10  # frozen after the end


def test_timer_epoch_interval_and_stages(clock):
    timer = Timer({"seconds": 5}, interval="epoch", verbose=False)
    trainer = fake_trainer()
    timer.on_train_start(trainer, None)
    clock.now += 7
    timer.on_train_batch_end(trainer, None, None, None, 0)
    assert trainer.should_stop is False  # only checked at epoch end
    timer.on_validation_start(trainer, None)
    clock.now += 2
    timer.on_validation_end(trainer, None)
    timer.on_train_epoch_end(trainer, None)
    assert trainer.should_stop is True
    assert timer.time_elapsed("validate") == 2
    assert timer.time_elapsed("test") == 0 and timer.start_time("test") is None


def test_timer_state_dict_resumes(clock):
    timer = Timer("00:00:00:10", verbose=False)
    trainer = fake_trainer()
    timer.on_train_start(trainer, None)
    clock.now += 8
    state = timer.state_dict()
    assert state["time_elapsed"]["train"] == 8
    resumed = Timer("00:00:00:10", verbose=False)
    resumed.load_state_dict(state)
    assert resumed.time_elapsed() == 8
    resumed.on_train_start(trainer, None)
    clock.now += 3
    resumed.on_train_batch_end(trainer, None, None, None, 0)
    assert trainer.should_stop is True
    # a depleted budget stops at fit start, before any step
    depleted = Timer("00:00:00:10", verbose=False)
    depleted.load_state_dict({"time_elapsed": {"train": 12.0}})
    trainer2 = fake_trainer()
    depleted.on_fit_start(trainer2, None)
    assert trainer2.should_stop is True


# --------------------------------------------------------------- GradientAccumulationScheduler
def test_accumulation_schedule():
    cb = GradientAccumulationScheduler({2: 3, 5: 4})
    assert cb.scheduling == {0: 1, 2: 3, 5: 4}
    assert [cb.get_accumulate_grad_batches(e) for e in range(7)] == [1, 1, 3, 3, 3, 4, 4]
    trainer = fake_trainer()
    pl = SimpleNamespace(automatic_optimization=True)
    cb.on_train_start(trainer, pl)
    seen = []
    for epoch in range(6):
        trainer.current_epoch = epoch
        cb.on_train_epoch_start(trainer, pl)
        seen.append(trainer.accumulate_grad_batches)
    assert seen == [1, 1, 3, 3, 3, 4]
    assert cb.going_to_accumulate_grad_batches()
    assert not GradientAccumulationScheduler({0: 1}).going_to_accumulate_grad_batches()


def test_accumulation_schedule_errors():
    with pytest.raises(TypeError, match="Empty dict"):
        GradientAccumulationScheduler({})
    with pytest.raises(MisconfigurationException, match="Epoch should be an int"):
        GradientAccumulationScheduler({-1: 2})
    with pytest.raises(
        MisconfigurationException, match="Accumulation factor should be an int greater than 0"
    ):
        GradientAccumulationScheduler({1: 0})
    cb = GradientAccumulationScheduler({1: 2})
    with pytest.raises(ValueError, match="remove the callback"):
        cb.on_train_start(fake_trainer(accumulate_grad_batches=4), SimpleNamespace())
    with pytest.raises(RuntimeError, match="manual optimization"):
        cb.on_train_start(fake_trainer(), SimpleNamespace(automatic_optimization=False))


# ------------------------------------------------------------------- end to end with Trainer
def _core():
    """``ember_lightning`` core (Trainer, LightningModule) or skip while it is not importable."""
    try:
        from ember_lightning import LightningModule, Trainer
    except ImportError as exc:  # the core is written separately
        pytest.skip(f"ember_lightning.Trainer not importable: {exc}")
    return LightningModule, Trainer


def _regression_module(base, on_step=None):
    """A linear regression on 8 fixed samples, 4 batches of 2, SGD + per-epoch StepLR."""
    from ember.utils.data import DataLoader, TensorDataset

    class Regression(base):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            if on_step is not None:
                on_step()
            x, y = batch
            loss = ((self.layer(x) - y) ** 2).mean()
            self.log("train_loss", loss, prog_bar=True)
            return loss

        def configure_optimizers(self):
            opt = ember.optim.SGD(self.parameters(), lr=0.1)
            sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            return {"optimizer": opt, "lr_scheduler": sched}

        def train_dataloader(self):
            g = ember.Generator().manual_seed(0)
            x = ember.randn(8, 4, generator=g)
            return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=2)

    return Regression()


def test_trainer_end_to_end_with_callbacks(tmp_path, capsys):
    LightningModule, Trainer = _core()
    pytest.importorskip("tensorboardX")
    from test_tensorboard import read_events, scalars

    from ember_lightning.loggers.tensorboard import TensorBoardLogger

    logger = TensorBoardLogger(tmp_path)
    timer = Timer()
    lr_monitor = LearningRateMonitor()
    trainer = Trainer(
        max_epochs=3,
        logger=logger,
        default_root_dir=tmp_path,
        enable_checkpointing=False,
        log_every_n_steps=1,
        callbacks=[
            GradientAccumulationScheduler({1: 2}),
            lr_monitor,
            timer,
            ModelSummary(max_depth=-1),
            TQDMProgressBar(),
        ],
    )
    trainer.fit(_regression_module(LightningModule))
    # 4 optimizer steps in epoch 0, then 2 per epoch while accumulating over 2 batches
    assert trainer.global_step == 4 + 2 + 2
    assert trainer.accumulate_grad_batches == 2
    assert lr_monitor.lrs["lr-SGD"] == pytest.approx([0.1, 0.05, 0.025])
    assert timer.time_elapsed("train") > 0
    out = capsys.readouterr().out
    assert "0 | layer | Linear | 5      | train" in out  # ModelSummary
    assert "5         Total params" in out
    assert "Epoch 2" in out and "train_loss=" in out  # TQDM bar with the prog_bar metric
    values = scalars(read_events(logger.log_dir))
    assert [v for _, v in values["lr-SGD"]] == pytest.approx([0.1, 0.05, 0.025])
    assert [s for s, _ in values["lr-SGD"]] == [0, 4, 6]  # logged at each epoch's first step


def test_trainer_stops_on_timer(tmp_path, clock):
    LightningModule, Trainer = _core()

    def tick():
        clock.now += 1.0

    timer = Timer("00:00:00:03", verbose=False)
    trainer = Trainer(
        max_epochs=5,
        logger=False,
        default_root_dir=tmp_path,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
    )
    trainer.fit(_regression_module(LightningModule, on_step=tick))
    assert trainer.global_step == 3  # the 3rd step used up the 3 seconds
    assert timer.state_dict()["time_elapsed"]["train"] == 3.0
