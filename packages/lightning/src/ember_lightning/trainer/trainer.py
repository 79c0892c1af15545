"""Trainer: runs fit / validate / test / predict on a LightningModule."""

from __future__ import annotations

import math
import os
import time
import warnings

import ember
from ember_lightning.callbacks.callback import Callback
from ember_lightning.core.optimizer import _configure_optimizers
from ember_lightning.plugins.precision import precision_plugin as _make_precision
from ember_lightning.strategies.ddp import DDPStrategy
from ember_lightning.strategies.strategy import SingleDeviceStrategy
from ember_lightning.trainer.connectors import checkpoint_connector as ckpt_conn
from ember_lightning.trainer.connectors.logger_connector import ResultCollection
from ember_lightning.trainer.states import RunningStage, TrainerFn, TrainerState, TrainerStatus
from ember_lightning.utilities.exceptions import MisconfigurationException
from ember_lightning.utilities.seed import _collect_rng_states, _set_rng_states


def _resolve_accelerator(accelerator) -> str:
    names = ember.backends.available_backends()
    if accelerator in ("auto", None):
        for pref in ("cuda", "opencl"):  # a GPU if there is one, like Lightning's "auto"
            if pref in names and ember.backends.get_backend(pref).is_accelerator():
                return pref
        return "cpu"
    name = "cuda" if accelerator == "gpu" else accelerator
    if name not in names:
        raise MisconfigurationException(f"accelerator={accelerator!r} is not available; available: {names}")
    return name


def _limit(n: int | float, limit) -> int | float:
    if isinstance(limit, float):
        return int(n * limit) if n != math.inf else math.inf
    return min(n, limit)


def _len(dl) -> int | float:
    try:
        return len(dl)
    except TypeError:
        return math.inf


def _num_devices(devices) -> int:
    """How many processes per node ``devices`` asks for ("auto": one)."""
    if devices in ("auto", -1, "-1"):
        return 1
    return len(devices) if isinstance(devices, list) else int(devices)


def _as_list(dls):
    if dls is None:
        return []
    return list(dls) if isinstance(dls, (list, tuple)) else [dls]


class Trainer:
    """Lightning-2.x-style trainer: one device (``strategy="auto"``) or one process per device
    (``strategy="ddp", devices=N``, see :class:`~ember_lightning.strategies.DDPStrategy`)."""

    def __init__(self, *, accelerator="auto", strategy="auto", devices="auto", num_nodes: int = 1, precision="32-true",
                 logger=None, callbacks=None, fast_dev_run=False, max_epochs: int | None = None, min_epochs: int | None = None,
                 max_steps: int = -1, min_steps: int | None = None, max_time=None, limit_train_batches=1.0,
                 limit_val_batches=1.0, limit_test_batches=1.0, limit_predict_batches=1.0, overfit_batches=0.0,
                 val_check_interval=1.0, check_val_every_n_epoch: int | None = 1, num_sanity_val_steps: int = 2,
                 log_every_n_steps: int = 50, enable_checkpointing: bool = True, enable_progress_bar: bool = True,
                 enable_model_summary: bool = True, accumulate_grad_batches: int = 1, gradient_clip_val=None,
                 gradient_clip_algorithm: str | None = None, deterministic=None, benchmark=None,
                 inference_mode: bool = True, use_distributed_sampler: bool = True, profiler=None,
                 detect_anomaly: bool = False, barebones: bool = False, plugins=None, sync_batchnorm: bool = False,
                 reload_dataloaders_every_n_epochs: int = 0, default_root_dir=None) -> None:
        ddp = strategy == "ddp" or isinstance(strategy, DDPStrategy)
        if strategy not in ("auto", "single_device") and not ddp:
            raise MisconfigurationException(f"strategy={strategy!r} is not supported (use 'auto' or 'ddp')")
        if not ddp and devices not in ("auto", 1, "1", -1) and not (isinstance(devices, list) and len(devices) == 1):
            raise MisconfigurationException(f"devices={devices!r}: several devices need strategy='ddp'")
        acc = _resolve_accelerator(accelerator)
        device = f"{acc}:{devices[0]}" if isinstance(devices, list) else acc
        self.precision_plugin = _make_precision(precision, acc)
        self.precision = self.precision_plugin.precision
        if ddp:  # joins the job's process group, or re-executes this script under mpiexec
            self.strategy = strategy if isinstance(strategy, DDPStrategy) else DDPStrategy()
            self.strategy.connect(acc, _num_devices(devices), num_nodes, self.precision_plugin)
        else:
            self.strategy = SingleDeviceStrategy(device, self.precision_plugin)
        self.num_nodes = num_nodes
        self._use_distributed_sampler = use_distributed_sampler
        self.accelerator = acc
        if gradient_clip_algorithm not in (None, "norm", "value"):
            raise MisconfigurationException(f"`gradient_clip_algorithm` {gradient_clip_algorithm!r} is invalid. "
                                            "Allowed algorithms: ['norm', 'value'].")
        self.default_root_dir = os.fspath(default_root_dir) if default_root_dir is not None else os.getcwd()
        self.fast_dev_run = fast_dev_run
        if fast_dev_run:
            n = 1 if fast_dev_run is True else int(fast_dev_run)
            limit_train_batches = limit_val_batches = limit_test_batches = limit_predict_batches = n
            max_steps, max_epochs, num_sanity_val_steps, val_check_interval = n, 1, 0, 1.0
            logger = False
        if overfit_batches:
            limit_train_batches = limit_val_batches = overfit_batches
        self.overfit_batches = overfit_batches
        if max_epochs is None:
            max_epochs = 1000 if max_steps == -1 and max_time is None else -1
        self.max_epochs, self.min_epochs, self.max_steps, self.min_steps = max_epochs, min_epochs, max_steps, min_steps
        self.max_time = self._parse_time(max_time)
        self.limit_train_batches, self.limit_val_batches = limit_train_batches, limit_val_batches
        self.limit_test_batches, self.limit_predict_batches = limit_test_batches, limit_predict_batches
        self.val_check_interval, self.check_val_every_n_epoch = val_check_interval, check_val_every_n_epoch
        self.num_sanity_val_steps = num_sanity_val_steps
        self.log_every_n_steps = log_every_n_steps
        self.accumulate_grad_batches = accumulate_grad_batches
        self.gradient_clip_val, self.gradient_clip_algorithm = gradient_clip_val, gradient_clip_algorithm
        self.deterministic, self.detect_anomaly = deterministic, detect_anomaly
        self.enable_progress_bar = enable_progress_bar
        self.reload_dataloaders_every_n_epochs = reload_dataloaders_every_n_epochs
        self.callbacks: list[Callback] = list(callbacks or []) if not isinstance(callbacks, Callback) else [callbacks]
        self._add_default_callbacks(enable_checkpointing, enable_progress_bar, enable_model_summary)
        self.loggers = self._init_loggers(logger)
        self.state = TrainerState()
        self.current_epoch = 0
        self.global_step = 0
        self.should_stop = False
        self.callback_metrics: dict = {}
        self.logged_metrics: dict = {}
        self.progress_bar_metrics: dict = {}
        self._results = ResultCollection()
        self._dataloader_idx = None
        self._num_eval_dataloaders = 1
        self.lightning_module = None
        self.datamodule = None
        self.optimizers: list = []
        self.lr_scheduler_configs: list = []
        self.num_training_batches = math.inf
        self.num_val_batches: list = []
        self.num_test_batches: list = []
        self.num_predict_batches: list = []
        self.train_dataloader = None
        self.val_dataloaders = None
        self._loop_state: dict = {}
        self._resume_rng = None
        self._start_time = None

    # -- construction helpers -----------------------------------------------------------------------
    @staticmethod
    def _parse_time(max_time):
        import datetime

        if max_time is None:
            return None
        if isinstance(max_time, str):
            d, h, m, s = (int(x) for x in max_time.split(":"))
            return datetime.timedelta(days=d, hours=h, minutes=m, seconds=s).total_seconds()
        if isinstance(max_time, dict):
            return datetime.timedelta(**max_time).total_seconds()
        return max_time.total_seconds()

    def _add_default_callbacks(self, enable_checkpointing, enable_progress_bar, enable_model_summary) -> None:
        from ember_lightning.callbacks.model_checkpoint import ModelCheckpoint

        if enable_checkpointing and not any(isinstance(c, ModelCheckpoint) for c in self.callbacks):
            self.callbacks.append(ModelCheckpoint())
        if not enable_checkpointing and any(isinstance(c, ModelCheckpoint) for c in self.callbacks):
            raise MisconfigurationException("Trainer was configured with `enable_checkpointing=False` but found "
                                            "`ModelCheckpoint` in callbacks list.")
        from ember_lightning.callbacks.model_summary import ModelSummary
        from ember_lightning.callbacks.progress import ProgressBar, TQDMProgressBar

        if enable_progress_bar and not any(isinstance(c, ProgressBar) for c in self.callbacks):
            self.callbacks.append(TQDMProgressBar())
        if enable_model_summary and not any(isinstance(c, ModelSummary) for c in self.callbacks):
            self.callbacks.append(ModelSummary())

    def _init_loggers(self, logger) -> list:
        from ember_lightning.loggers.csv_logs import CSVLogger

        if logger is None or logger is True:
            return [CSVLogger(save_dir=self.default_root_dir)]
        if logger is False:
            return []
        return list(logger) if isinstance(logger, (list, tuple)) else [logger]

    # -- public properties ------------------------------------------------------------------------
    @property
    def logger(self):
        return self.loggers[0] if self.loggers else None

    @property
    def log_dir(self) -> str:
        return self.logger.log_dir if self.logger is not None and self.logger.log_dir else self.default_root_dir

    @property
    def model(self):
        return self.strategy.model

    @property
    def is_global_zero(self) -> bool:
        return self.strategy.is_global_zero

    @property
    def global_rank(self) -> int:
        return getattr(self.strategy, "global_rank", 0)

    @property
    def local_rank(self) -> int:
        return getattr(self.strategy, "local_rank", 0)

    @property
    def world_size(self) -> int:
        return getattr(self.strategy, "world_size", 1)

    @property
    def interrupted(self) -> bool:
        return self.state.status == TrainerStatus.INTERRUPTED

    @property
    def checkpoint_callbacks(self) -> list:
        from ember_lightning.callbacks.model_checkpoint import ModelCheckpoint

        return [c for c in self.callbacks if isinstance(c, ModelCheckpoint)]

    @property
    def checkpoint_callback(self):
        cbs = self.checkpoint_callbacks
        return cbs[0] if cbs else None

    @property
    def early_stopping_callbacks(self) -> list:
        from ember_lightning.callbacks.early_stopping import EarlyStopping

        return [c for c in self.callbacks if isinstance(c, EarlyStopping)]

    @property
    def early_stopping_callback(self):
        cbs = self.early_stopping_callbacks
        return cbs[0] if cbs else None

    @property
    def progress_bar_callback(self):
        for c in self.callbacks:
            if hasattr(c, "get_metrics") and hasattr(c, "disable"):
                return c
        return None

    @property
    def training(self) -> bool:
        return self.state.stage == RunningStage.TRAINING

    @property
    def sanity_checking(self) -> bool:
        return self.state.stage == RunningStage.SANITY_CHECKING

    @property
    def validating(self) -> bool:
        return self.state.stage == RunningStage.VALIDATING

    @property
    def testing(self) -> bool:
        return self.state.stage == RunningStage.TESTING

    @property
    def predicting(self) -> bool:
        return self.state.stage == RunningStage.PREDICTING

    @property
    def estimated_stepping_batches(self) -> int | float:
        per_epoch = math.ceil(self.num_training_batches / self.accumulate_grad_batches)
        total = math.inf if self.max_epochs == -1 else per_epoch * self.max_epochs
        return total if self.max_steps == -1 else min(total, self.max_steps)

    # -- hook calling ---------------------------------------------------------------------------------
    def _call_callbacks(self, hook: str, *args, monitoring=None) -> None:
        from ember_lightning.callbacks.early_stopping import EarlyStopping
        from ember_lightning.callbacks.model_checkpoint import ModelCheckpoint

        for cb in self.callbacks:
            is_mon = isinstance(cb, (ModelCheckpoint, EarlyStopping))
            if monitoring is None or monitoring == is_mon:
                getattr(cb, hook)(self, self.lightning_module, *args)

    def _call_module(self, hook: str, *args, **kwargs):
        model = self.lightning_module
        prev = model._current_fx_name
        model._current_fx_name = hook
        try:
            return getattr(model, hook)(*args, **kwargs)
        finally:
            model._current_fx_name = prev

    def _call_both(self, hook: str, *args) -> None:
        self._call_callbacks(hook, *args)
        self._call_module(hook, *args)

    # -- entry points ---------------------------------------------------------------------------------
    def fit(self, model, train_dataloaders=None, val_dataloaders=None, datamodule=None, ckpt_path=None) -> None:
        """Train ``model`` (optionally resuming from ``ckpt_path``: a path, "last" or "best")."""
        from ember_lightning.core.datamodule import LightningDataModule

        if isinstance(train_dataloaders, LightningDataModule):
            datamodule, train_dataloaders = train_dataloaders, None
        self._run_stage(TrainerFn.FITTING, model, datamodule, ckpt_path,
                        dict(train=train_dataloaders, val=val_dataloaders))

    def validate(self, model=None, dataloaders=None, ckpt_path=None, verbose: bool = True, datamodule=None) -> list[dict]:
        """Run the validation loop once; returns one dict of metrics per dataloader."""
        return self._run_stage(TrainerFn.VALIDATING, model, datamodule, ckpt_path, dict(val=dataloaders))

    def test(self, model=None, dataloaders=None, ckpt_path=None, verbose: bool = True, datamodule=None) -> list[dict]:
        """Run the test loop once; returns one dict of metrics per dataloader."""
        return self._run_stage(TrainerFn.TESTING, model, datamodule, ckpt_path, dict(test=dataloaders))

    def predict(self, model=None, dataloaders=None, datamodule=None, return_predictions=None, ckpt_path=None):
        """Run predict_step over the data; returns the predictions (a list per dataloader when several)."""
        return self._run_stage(TrainerFn.PREDICTING, model, datamodule, ckpt_path, dict(predict=dataloaders))

    def _run_stage(self, fn, model, datamodule, ckpt_path, dataloaders):
        from ember_lightning.core.datamodule import LightningDataModule

        for k in list(dataloaders):
            if isinstance(dataloaders[k], LightningDataModule):
                datamodule, dataloaders[k] = dataloaders[k], None
        model = model if model is not None else self.lightning_module
        if model is None:
            raise MisconfigurationException(f"`model` must be provided to `trainer.{fn.value}()`")
        self.state.fn, self.state.status = fn, TrainerStatus.RUNNING
        self.lightning_module, self.datamodule = model, datamodule
        model.trainer = self
        if datamodule is not None:
            datamodule.trainer = self
        self.should_stop = False
        self._results = ResultCollection()
        try:
            with ember.autograd.set_detect_anomaly(self.detect_anomaly):
                out = self._run(fn, model, datamodule, ckpt_path, dataloaders)
            self.state.status = TrainerStatus.FINISHED
            return out
        except KeyboardInterrupt as exc:
            warnings.warn("Detected KeyboardInterrupt, attempting graceful shutdown ...", stacklevel=2)
            self.state.status = TrainerStatus.INTERRUPTED
            self._call_callbacks("on_exception", exc)
            for lg in self.loggers:
                lg.finalize("interrupted")
            return None
        except BaseException as exc:
            self.state.status = TrainerStatus.INTERRUPTED
            self._call_callbacks("on_exception", exc)
            for lg in self.loggers:
                lg.finalize("failed")
            raise
        finally:
            self.state.stage = None

    def _run(self, fn, model, datamodule, ckpt_path, dataloaders):
        stage = fn.value
        for cb in _as_list(model.configure_callbacks()):
            self.callbacks = [c for c in self.callbacks if type(c) is not type(cb)] + [cb]
        if datamodule is not None:
            datamodule.prepare_data()
            datamodule.setup(stage)
        model.prepare_data()
        self._call_callbacks("setup", stage)
        model.setup(stage)
        model.configure_model()
        self.strategy.setup(self, model)
        if fn == TrainerFn.FITTING:
            opts, scheds = _configure_optimizers(self._call_module("configure_optimizers"))
            if len(opts) > 1 and model.automatic_optimization:
                raise RuntimeError("Training with multiple optimizers is only supported with manual optimization. "
                                   "Set `self.automatic_optimization = False`, then access your optimizers in "
                                   "`training_step` with `opt1, opt2, ... = self.optimizers()`.")
            self.optimizers, self.lr_scheduler_configs = opts, scheds
            self.strategy.set_optimizers(self, opts)
            if not model.automatic_optimization:
                for lopt in self.strategy._lightning_optimizers:
                    lopt._on_after_step = self._manual_step_done
        loaders = {k: self._get_dataloaders(k, v, model, datamodule) for k, v in dataloaders.items()}
        path = self._resolve_ckpt_path(ckpt_path)
        if path is not None:
            ckpt = ember.load(path, map_location=self.strategy.root_device, weights_only=True)
            ckpt_conn.restore_model(self, ckpt)
            if fn == TrainerFn.FITTING:
                ckpt_conn.restore_training_state(self, ckpt)
        elif fn == TrainerFn.FITTING:
            self.current_epoch, self.global_step, self._loop_state = 0, 0, {}
        try:
            if fn == TrainerFn.FITTING:
                self._log_hparams(model, datamodule)
                out = self._fit(loaders["train"], loaders["val"])
            elif fn == TrainerFn.PREDICTING:
                out = self._predict(loaders["predict"])
            else:
                key = "val" if fn == TrainerFn.VALIDATING else "test"
                stage_ = RunningStage.VALIDATING if key == "val" else RunningStage.TESTING
                out = self._evaluate(stage_, loaders[key])
        finally:
            self._call_callbacks("teardown", stage)
            model.teardown(stage)
            if datamodule is not None:
                datamodule.teardown(stage)
        return out

    def _resolve_ckpt_path(self, ckpt_path):
        if ckpt_path == "last":
            cands = [c.last_model_path or c.best_model_path for c in self.checkpoint_callbacks]
            cands = [c for c in cands if c]
            if not cands:
                ckpt_dir = os.path.join(self.log_dir, "checkpoints")
                files = sorted(os.path.join(ckpt_dir, f) for f in os.listdir(ckpt_dir)) if os.path.isdir(ckpt_dir) else []
                cands = [max(files, key=os.path.getmtime)] if files else []
            if not cands:
                warnings.warn('.fit(ckpt_path="last") is set, but there is no last checkpoint available. '
                              "No checkpoint will be loaded.", stacklevel=3)
                return None
            return max(cands, key=os.path.getmtime)
        if ckpt_path == "best":
            cb = self.checkpoint_callback
            if cb is None or not cb.best_model_path:
                raise ValueError('`ckpt_path="best"` is set but no checkpoint callback has a best model path.')
            return cb.best_model_path
        return ckpt_path

    def _log_hparams(self, model, datamodule) -> None:
        hp = dict(getattr(model, "_hparams_initial", {}))
        if datamodule is not None:
            hp.update(getattr(datamodule, "_hparams_initial", {}))
        for lg in self.loggers:
            if hp and getattr(model, "_log_hyperparams", True):
                lg.log_hyperparams(hp)
            lg.save()

    # -- data ---------------------------------------------------------------------------------
    def _get_dataloaders(self, kind, given, model, datamodule):
        if given is None:
            source = datamodule if datamodule is not None else model
            method = getattr(source, f"{kind}_dataloader")
            try:
                given = method()
            except NotImplementedError:
                given = None
        if kind == "train" and given is not None and self.overfit_batches:
            given = ember.utils.data.DataLoader(given.dataset, batch_size=given.batch_size, shuffle=False,
                                                collate_fn=given.collate_fn, drop_last=given.drop_last)
        if self._use_distributed_sampler and kind != "predict":
            given = [self.strategy.process_dataloader(d, kind) for d in given] \
                if isinstance(given, (list, tuple)) else self.strategy.process_dataloader(given, kind)
        if kind == "train":
            self.train_dataloader = given
            return given
        loaders = _as_list(given)
        if kind == "val":
            self.val_dataloaders = given
        return loaders

    def _num_batches(self, dl, limit) -> int | float:
        return _limit(_len(dl), limit)

    # -- fit -------------------------------------------------------------------------------------
    def _fit(self, train_dl, val_dls) -> None:
        model = self.lightning_module
        if train_dl is None:
            raise MisconfigurationException("No `train_dataloader()` method defined. Lightning `Trainer` expects as minimum a"
                                            " `training_step()`, `train_dataloader()` and `configure_optimizers()` to be defined.")
        self.num_training_batches = self._num_batches(train_dl, self.limit_train_batches)
        self.num_val_batches = [self._num_batches(d, self.limit_val_batches) for d in val_dls]
        self._start_time = time.monotonic()
        self._call_both("on_fit_start")
        if self.num_sanity_val_steps and val_dls and sum(self.num_val_batches) > 0 and self._loop_state.get("batches_done", 0) == 0:
            rng = _collect_rng_states()
            self.state.stage = RunningStage.SANITY_CHECKING
            self._call_callbacks("on_sanity_check_start")
            self._evaluate(RunningStage.SANITY_CHECKING, val_dls, max_batches=self.num_sanity_val_steps)
            self._call_callbacks("on_sanity_check_end")
            self.callback_metrics, self.logged_metrics, self.progress_bar_metrics = {}, {}, {}
            _set_rng_states(rng)
        self.state.stage = RunningStage.TRAINING
        model.train()
        self._call_both("on_train_start")
        while not self._fit_done():
            self._train_epoch(train_dl, val_dls)
            if self._loop_state.get("epoch_finished"):
                self.current_epoch += 1
        self.state.stage = RunningStage.TRAINING
        self._call_both("on_train_end")
        self._call_both("on_fit_end")
        for lg in self.loggers:
            lg.save()
            lg.finalize("success")

    def _min_reached(self) -> bool:
        return (self.min_epochs is None or self.current_epoch >= self.min_epochs) and (
            self.min_steps is None or self.global_step >= self.min_steps)

    def _fit_done(self) -> bool:
        if self.max_steps != -1 and self.global_step >= self.max_steps:
            return True
        if self.max_epochs != -1 and self.current_epoch >= self.max_epochs:
            return True
        if self.max_time is not None and time.monotonic() - self._start_time >= self.max_time:
            return True
        if self.num_training_batches == 0:
            return True
        return self.should_stop and self._min_reached()

    def _should_validate(self, batch_idx: int, is_last: bool, val_dls) -> bool:
        if not val_dls or sum(self.num_val_batches) == 0:
            return False
        every = self.check_val_every_n_epoch
        if every is not None and (self.current_epoch + 1) % every != 0:
            return False
        vci = self.val_check_interval
        if isinstance(vci, float):
            n = self.num_training_batches
            interval = max(1, int(n * vci)) if n != math.inf else None
            return is_last if vci == 1.0 else (interval is not None and (batch_idx + 1) % interval == 0)
        if every is None:
            return self._loop_state.get("total_batches", 0) % vci == 0
        return (batch_idx + 1) % vci == 0

    def _train_epoch(self, train_dl, val_dls) -> None:
        model = self.lightning_module
        skip = self._loop_state.get("batches_done", 0) if not self._loop_state.get("epoch_finished", True) else 0
        resume_rng = self._resume_rng
        if skip and self._loop_state.get("epoch_start_rng") is not None:
            _set_rng_states(self._loop_state["epoch_start_rng"])
        self._loop_state.update(epoch=self.current_epoch, epoch_finished=False, batches_done=skip,
                                epoch_start_rng=self._loop_state.get("epoch_start_rng") if skip else _collect_rng_states())
        self._results.reset_epoch()
        model.train()
        self._call_both("on_train_epoch_start")
        n = self.num_training_batches
        if hasattr(getattr(train_dl, "sampler", None), "set_epoch"):
            train_dl.sampler.set_epoch(self.current_epoch)  # a new shuffle each epoch (DDP)
        it = iter(train_dl)
        for _ in range(skip):
            next(it)
        if skip and resume_rng is not None:
            _set_rng_states(resume_rng)
        self._resume_rng = None
        batch_idx = skip
        while batch_idx < n:
            try:
                batch = next(it)
            except StopIteration:
                break
            is_last = batch_idx + 1 >= n
            batch = self.strategy.batch_to_device(model, batch, 0)
            self._call_callbacks("on_train_batch_start", batch, batch_idx)
            if self._call_module("on_train_batch_start", batch, batch_idx) == -1:
                break
            outputs = self._train_batch(batch, batch_idx, is_last)
            self._loop_state["batches_done"] = batch_idx + 1
            self._loop_state["total_batches"] = self._loop_state.get("total_batches", 0) + 1
            self._call_callbacks("on_train_batch_end", outputs, batch, batch_idx)
            self._call_module("on_train_batch_end", outputs, batch, batch_idx)
            self._flush_step_logs(force=False)
            if self._should_validate(batch_idx, is_last, val_dls):
                self._evaluate(RunningStage.VALIDATING, val_dls)
                self.state.stage = RunningStage.TRAINING
                model.train()
            if self.max_steps != -1 and self.global_step >= self.max_steps:
                break
            if self.max_time is not None and time.monotonic() - self._start_time >= self.max_time:
                self.should_stop = True
            if self.should_stop and self._min_reached():
                break
            batch_idx += 1
        self._flush_step_logs(force=True)
        self._call_callbacks("on_train_epoch_end", monitoring=False)
        self._call_module("on_train_epoch_end")
        self._log_epoch_metrics()
        self._update_schedulers("epoch")
        self._loop_state["epoch_finished"] = True
        self._call_callbacks("on_train_epoch_end", monitoring=True)
        for lg in self.loggers:
            lg.save()

    def _train_batch(self, batch, batch_idx: int, is_last: bool):
        model = self.lightning_module
        if not model.automatic_optimization:
            with self.precision_plugin.forward_context():
                out = self.strategy.training_step(batch, batch_idx)
            return out
        accum = self.accumulate_grad_batches
        should_step = (batch_idx + 1) % accum == 0 or is_last
        result = {}

        def closure():
            with self.precision_plugin.forward_context():
                out = self.strategy.training_step(batch, batch_idx)
            result["out"] = out
            loss = out["loss"] if isinstance(out, dict) else out
            if loss is None:
                return None
            loss = loss / accum if accum > 1 else loss
            self._call_callbacks("on_before_backward", loss)
            self._call_module("on_before_backward", loss)
            self.strategy.backward(loss, None)
            self._call_callbacks("on_after_backward")
            self._call_module("on_after_backward")
            return loss

        if not should_step:
            with self.strategy.block_backward_sync():
                closure()
            return result.get("out")
        opt = self.strategy._lightning_optimizers[0]
        self._call_module("optimizer_step", self.current_epoch, batch_idx, opt, closure)
        self._call_callbacks("on_before_zero_grad", opt.optimizer)
        self._call_module("on_before_zero_grad", opt.optimizer)
        self._call_module("optimizer_zero_grad", self.current_epoch, batch_idx, opt.optimizer)
        self.global_step += 1
        self._update_schedulers("step")
        return result.get("out")

    def _on_before_optimizer_step(self, optimizer) -> None:
        """Called by the precision plugin between backward and step (grads unscaled): hooks + clipping."""
        self._call_callbacks("on_before_optimizer_step", optimizer)
        self._call_module("on_before_optimizer_step", optimizer)
        if self.lightning_module.automatic_optimization:
            self._call_module("configure_gradient_clipping", optimizer, self.gradient_clip_val,
                              self.gradient_clip_algorithm)

    def _manual_step_done(self) -> None:
        self.global_step += 1

    def _update_schedulers(self, interval: str) -> None:
        if not self.lightning_module.automatic_optimization:
            return
        idx = self.global_step if interval == "step" else self.current_epoch + 1
        for cfg in self.lr_scheduler_configs:
            if cfg.interval != interval or idx % cfg.frequency != 0:
                continue
            metric = None
            if cfg.reduce_on_plateau:
                if cfg.monitor not in self.callback_metrics:
                    if cfg.strict:
                        raise MisconfigurationException(
                            f"ReduceLROnPlateau conditioned on metric {cfg.monitor} which is not available. "
                            f"Available metrics are: {list(self.callback_metrics)}. Condition can be set using "
                            "`monitor` key in lr scheduler dict")
                    continue
                metric = self.callback_metrics[cfg.monitor]
            self._call_module("lr_scheduler_step", cfg.scheduler, metric)

    # -- logging -----------------------------------------------------------------------------------
    def _flush_step_logs(self, force: bool) -> None:
        pending = self._results.step_logger
        if not pending:
            return
        if force or self.global_step % self.log_every_n_steps == 0 or self.should_stop:
            self._log_to_loggers(dict(pending))
            pending.clear()

    def _log_to_loggers(self, metrics: dict) -> None:
        self.logged_metrics.update(metrics)
        if self.state.fn == TrainerFn.FITTING:
            metrics = {**metrics, "epoch": self.current_epoch}
        for lg in self.loggers:
            lg.log_metrics(metrics, step=self.global_step)

    def _log_epoch_metrics(self) -> dict:
        metrics = self._results.reduce_epoch(self)
        if metrics and not self.sanity_checking:
            self._log_to_loggers(metrics)
        return metrics

    # -- evaluation ----------------------------------------------------------------------------------
    def _evaluate(self, stage: RunningStage, dataloaders, max_batches=None) -> list[dict]:
        model = self.lightning_module
        prefix = "test" if stage == RunningStage.TESTING else "validation"
        limit = self.limit_test_batches if stage == RunningStage.TESTING else self.limit_val_batches
        nums = [self._num_batches(d, limit) for d in dataloaders]
        if max_batches is not None:
            nums = [min(n, max_batches) for n in nums]
        if stage == RunningStage.TESTING:
            self.num_test_batches = nums
        elif stage == RunningStage.VALIDATING:
            self.num_val_batches = nums
        prev_stage = self.state.stage
        self.state.stage = stage
        self._num_eval_dataloaders = len(dataloaders)
        saved_train = self._results
        self._results = ResultCollection()
        self._call_module(f"on_{prefix}_model_eval")
        self._call_both(f"on_{prefix}_start")
        self._call_both(f"on_{prefix}_epoch_start")
        step_name = "test_step" if stage == RunningStage.TESTING else "validation_step"
        results = []
        with ember.no_grad():
            for dl_idx, (dl, n) in enumerate(zip(dataloaders, nums, strict=True)):
                self._dataloader_idx = dl_idx
                extra = (dl_idx,) if len(dataloaders) > 1 else ()
                for batch_idx, batch in enumerate(dl):
                    if batch_idx >= n:
                        break
                    batch = self.strategy.batch_to_device(model, batch, dl_idx)
                    self._call_both(f"on_{prefix}_batch_start", batch, batch_idx, *extra)
                    with self.precision_plugin.forward_context():
                        out = self._call_module(step_name, batch, batch_idx, *extra)
                    self._call_both(f"on_{prefix}_batch_end", out, batch, batch_idx, *extra)
        self._dataloader_idx = None
        self._call_both(f"on_{prefix}_epoch_end")
        metrics = self._log_epoch_metrics()
        self._call_both(f"on_{prefix}_end")
        self._results = saved_train
        self._num_eval_dataloaders = 1
        if prev_stage == RunningStage.TRAINING or stage == RunningStage.SANITY_CHECKING:
            self.state.stage = prev_stage
            model.train()
        else:
            self._call_module(f"on_{prefix}_model_train")
        for i in range(len(dataloaders)):
            suffix = f"/dataloader_idx_{i}"
            if len(dataloaders) > 1:
                results.append({k: v for k, v in metrics.items() if k.endswith(suffix)})
            else:
                results.append(dict(metrics))
        return results

    def _predict(self, dataloaders):
        model = self.lightning_module
        self.state.stage = RunningStage.PREDICTING
        nums = [self._num_batches(d, self.limit_predict_batches) for d in dataloaders]
        self.num_predict_batches = nums
        self._call_module("on_predict_model_eval")
        self._call_both("on_predict_start")
        self._call_both("on_predict_epoch_start")
        all_preds = []
        with ember.no_grad():
            for dl_idx, (dl, n) in enumerate(zip(dataloaders, nums, strict=True)):
                extra = (dl_idx,) if len(dataloaders) > 1 else ()
                preds = []
                for batch_idx, batch in enumerate(dl):
                    if batch_idx >= n:
                        break
                    batch = self.strategy.batch_to_device(model, batch, dl_idx)
                    self._call_both("on_predict_batch_start", batch, batch_idx, *extra)
                    with self.precision_plugin.forward_context():
                        out = self._call_module("predict_step", batch, batch_idx, *extra)
                    self._call_both("on_predict_batch_end", out, batch, batch_idx, *extra)
                    preds.append(out)
                all_preds.append(preds)
        self._call_both("on_predict_epoch_end")
        self._call_both("on_predict_end")
        return all_preds[0] if len(all_preds) == 1 else all_preds

    # -- checkpoints ------------------------------------------------------------------------------
    def save_checkpoint(self, filepath, weights_only: bool = False, storage_options=None) -> None:
        """Write a checkpoint of the current state to ``filepath`` (atomically, through ember.save)."""
        if self.lightning_module is None:
            raise AttributeError("Saving a checkpoint is only possible if a model is attached to the Trainer.")
        ckpt = ckpt_conn.dump_checkpoint(self, weights_only)
        if self.strategy.is_global_zero:  # one writer; the others wait until the file exists
            os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
            ember.save(ckpt, filepath)
        self.strategy.barrier("save_checkpoint")
