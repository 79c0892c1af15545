"""DDPStrategy: one process per device, the model wrapped in DistributedDataParallel.

``Trainer(strategy="ddp", devices=N, num_nodes=M)`` either joins the MPI job it runs in (world
size N·M) or, started as a plain ``python train.py``, re-executes the same command under
``mpiexec -n N`` (through ``ember.distributed.run``). Each rank reads its own share of the data
(DistributedSampler), gradients are averaged in backward, metrics logged with ``sync_dist=True``
are reduced over the ranks, and only global rank 0 writes checkpoints and logs.
"""

from __future__ import annotations

import contextlib
import os
import sys

import __main__
import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
)
from ember_lightning.strategies.strategy import Strategy
from ember_lightning.utilities.exceptions import MisconfigurationException
from ember_lightning.utilities.rank_zero import rank_zero_only

_RELAUNCHED = "EMBER_LIGHTNING_DDP_RELAUNCHED"
_REDUCE_OPS = {"mean": dist.ReduceOp.AVG, "avg": dist.ReduceOp.AVG, "sum": dist.ReduceOp.SUM,
               "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}


class _TrainingStepModule(nn.Module):
    """What DDP wraps: its forward is the LightningModule's ``training_step``, so that DDP sees
    the forward whose backward it must synchronise."""

    def __init__(self, module, trainer) -> None:
        super().__init__()
        self._forward_module = module
        self._trainer = trainer

    def forward(self, *args, **kwargs):
        return self._trainer._call_module("training_step", *args, **kwargs)


def _program_argv() -> list[str]:
    """How this process was started (``script args`` or ``-m module args``), to start it again."""
    spec = getattr(__main__, "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return ["-m", name, *sys.argv[1:]]
    if not sys.argv or sys.argv[0] in ("", "-c"):
        raise MisconfigurationException(
            "Trainer(strategy='ddp') cannot restart an interactive session or `python -c` under "
            "mpiexec: run a script, or start it with `python -m ember.distributed.run -n N ...`")
    return list(sys.argv)


class DDPStrategy(Strategy):
    """Distributed data parallel training over ``ember.distributed``.

    Args:
        process_group_backend: ``"mpi"`` (default; any device) or ``"nccl"`` (CUDA).
        timeout: collective timeout (``datetime.timedelta`` or seconds): a dead or hung rank makes
            the others raise instead of waiting forever.
        **kwargs: passed to ``DistributedDataParallel`` (``find_unused_parameters``,
            ``bucket_cap_mb``, ``broadcast_buffers``…).

    Examples::

        >>> trainer = Trainer(strategy="ddp", devices=2, max_epochs=3)
        >>> trainer = Trainer(strategy=DDPStrategy(find_unused_parameters=True), devices=2)
    """

    strategy_name = "ddp"

    def __init__(self, process_group_backend: str | None = None, timeout=dist.default_pg_timeout,
                 **kwargs) -> None:
        self._backend = process_group_backend
        self._timeout = timeout
        self._ddp_kwargs = kwargs
        self.lightning_module = None
        self._trainer = None

    # -- set up by the Trainer ---------------------------------------------------------------------
    def connect(self, accelerator: str, num_processes: int, num_nodes: int, precision_plugin) -> None:
        """Join (or start) the job of ``num_processes * num_nodes`` ranks and pick this rank's device."""
        self.accelerator, self.num_processes, self.num_nodes = accelerator, num_processes, num_nodes
        if accelerator != "cpu":  # one device per process on each node
            present = getattr(ember, accelerator).device_count()
            if num_processes > present:
                raise MisconfigurationException(
                    f"devices={num_processes} with accelerator={accelerator!r}: only {present} "
                    f"{accelerator} device(s) present (use accelerator='cpu' for CPU processes)")
        self.setup_environment()
        device = f"{accelerator}:{self.local_rank}" if accelerator != "cpu" else "cpu"
        super().__init__(device, precision_plugin)

    def setup_environment(self) -> None:
        expected = self.num_processes * self.num_nodes
        if not dist.is_initialized():
            running = dist.world.in_mpi_job()
            if running is None and expected > 1:
                self._relaunch(expected)
            if running not in (None, expected):
                raise MisconfigurationException(
                    f"Trainer(strategy='ddp', devices={self.num_processes}, num_nodes={self.num_nodes}) "
                    f"needs {expected} processes but runs in an MPI job of {running}")
            backend = self._backend or ("nccl" if self.accelerator == "cuda" else "mpi")
            dist.init_process_group(backend, timeout=self._timeout)
        if dist.get_world_size() != expected:
            raise MisconfigurationException(f"the process group has {dist.get_world_size()} ranks, "
                                            f"Trainer(devices={self.num_processes}, num_nodes="
                                            f"{self.num_nodes}) expects {expected}")
        rank_zero_only.rank = self.global_rank

    def _relaunch(self, nproc: int) -> None:
        from ember.distributed.run import exec_under_mpiexec

        if self.num_nodes > 1:
            raise MisconfigurationException(
                f"num_nodes={self.num_nodes}: start the job on all machines yourself, e.g. "
                f"`python -m ember.distributed.run --hostfile hosts -n {nproc} train.py`")
        if os.environ.get(_RELAUNCHED):
            raise MisconfigurationException("Trainer(strategy='ddp') was restarted under mpiexec "
                                            "but finds no MPI job: is mpi4py built for this mpiexec?")
        os.environ[_RELAUNCHED] = "1"
        exec_under_mpiexec(nproc, _program_argv())

    # -- ranks ----------------------------------------------------------------------------------
    @property
    def global_rank(self) -> int:
        return dist.get_rank()

    @property
    def local_rank(self) -> int:
        return int(os.environ.get("LOCAL_RANK", 0))

    @property
    def world_size(self) -> int:
        return dist.get_world_size()

    @property
    def is_global_zero(self) -> bool:
        return self.global_rank == 0

    # -- model ----------------------------------------------------------------------------------
    def setup(self, trainer, model) -> None:
        super().setup(trainer, model)
        self.lightning_module, self._trainer = self.model, trainer
        self.model = DistributedDataParallel(_TrainingStepModule(self.lightning_module, trainer),
                                             **self._ddp_kwargs)
        for lg in trainer.loggers:  # every rank must agree on rank 0's log (and checkpoint) dir
            if getattr(lg, "_version", 0) is None:
                lg._version = self.broadcast(lg.version)

    def training_step(self, *args, **kwargs):
        return self.model(*args, **kwargs)

    def backward(self, loss, optimizer, *args, **kwargs) -> None:
        plugin = self.precision_plugin
        if getattr(plugin, "scaler", None) is not None:
            loss = plugin.scaler.scale(loss)
        self.lightning_module.backward(loss, *args, **kwargs)

    def block_backward_sync(self):
        """Gradient accumulation: no all-reduce until the step's last micro-batch."""
        return self.model.no_sync() if isinstance(self.model, DistributedDataParallel) else \
            contextlib.nullcontext()

    def process_dataloader(self, dataloader, kind: str):
        """``dataloader`` reading only this rank's share (a DistributedSampler replaces its
        sampler; the training data keeps its shuffling)."""
        if not isinstance(dataloader, DataLoader) or isinstance(dataloader.sampler, DistributedSampler) \
                or isinstance(dataloader.dataset, IterableDataset):
            return dataloader
        if type(dataloader.batch_sampler) is not BatchSampler:
            return dataloader  # no auto-batching, or a custom batch sampler: it decides itself
        sampler = DistributedSampler(dataloader.dataset, num_replicas=self.world_size,
                                     rank=self.global_rank,
                                     shuffle=kind == "train" and isinstance(dataloader.sampler, RandomSampler))
        return DataLoader(dataloader.dataset, batch_size=dataloader.batch_size, sampler=sampler,
                          num_workers=dataloader.num_workers, collate_fn=dataloader.collate_fn,
                          pin_memory=dataloader.pin_memory, drop_last=dataloader.drop_last,
                          timeout=dataloader.timeout, worker_init_fn=dataloader.worker_init_fn,
                          persistent_workers=dataloader.persistent_workers)

    # -- communication --------------------------------------------------------------------------
    def reduce(self, value, group=None, reduce_op="mean"):
        """``value`` (tensor or number) reduced over all ranks: mean (default), sum, max or min."""
        op = _REDUCE_OPS.get(reduce_op, dist.ReduceOp.AVG) if isinstance(reduce_op, str) or \
            reduce_op is None else reduce_op
        if not isinstance(op, dist.ReduceOp):  # a callable reduce_fx: the mean across ranks
            op = dist.ReduceOp.AVG
        t = value.detach().to("cpu", ember.float64) if isinstance(value, ember.Tensor) else \
            ember.tensor(float(value), dtype=ember.float64)
        t = t.clone()
        dist.all_reduce(t, op=op, group=group)
        return t.to(value.dtype) if isinstance(value, ember.Tensor) else t.item()

    def barrier(self, name: str | None = None) -> None:
        dist.barrier()

    def broadcast(self, obj, src: int = 0):
        """Rank ``src``'s ``obj`` on every rank."""
        box = [obj]
        dist.broadcast_object_list(box, src=src)
        return box[0]


__all__ = ["DDPStrategy"]
