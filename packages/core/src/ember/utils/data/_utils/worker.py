"""The worker process: ``get_worker_info`` and the loop that turns index batches into data.

Each worker is seeded like PyTorch's: ``seed = base_seed + worker_id`` for Python's ``random``
and for ember's global generator, and NumPy's global RNG gets a state derived from both. Results
go back through the shared result queue as ``(task index, packed batch)``; errors travel as an
``ExceptionWrapper`` and are re-raised by the main process.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import queue
import random
import sys
from dataclasses import dataclass

import numpy as np

import ember

from . import WORKER_STATUS_CHECK_INTERVAL, ExceptionWrapper, shared_memory
from .fetch import _DatasetKind

__all__ = ["get_worker_info", "WorkerInfo"]


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed`` and
    ``dataset`` (this worker's copy). Read-only once built."""

    __initialized = False

    def __init__(self, **kwargs) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a ``DataLoader`` worker process, this worker's ``WorkerInfo``; ``None`` in the main
    process. Use it in ``IterableDataset.__iter__`` or ``worker_init_fn`` to shard the data."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of every epoch after the first; echoed back."""


class ManagerWatchdog:
    """Tells a worker whether the process that started it is still alive."""

    def __init__(self) -> None:
        self.manager_pid = os.getppid()
        self.manager_dead = False

    def is_alive(self) -> bool:
        if not self.manager_dead:
            self.manager_dead = os.getppid() != self.manager_pid
        return not self.manager_dead


def _numpy_seed(base_seed: int, worker_id: int) -> np.ndarray:
    """A state for NumPy's global RNG from the base seed and the worker id (no overlaps between
    workers, unlike ``base_seed + worker_id``)."""
    mask = 0xFFFF_FFFF
    entropy = [worker_id, base_seed & mask, (base_seed >> 32) & mask, 0]
    return np.random.SeedSequence(entropy).generate_state(4)


def _seed_worker(base_seed: int, worker_id: int) -> int:
    seed = base_seed + worker_id
    random.seed(seed)
    ember.manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


def _picklable(wrapper: ExceptionWrapper) -> ExceptionWrapper:
    """``wrapper``, re-typed as RuntimeError when its exception class can't be pickled (one
    defined inside a function): the message and traceback text still name the original."""
    try:
        pickle.dumps(wrapper.exc_type)
    except Exception:
        wrapper.exc_type = RuntimeError
    return wrapper


def _pack_or_error(data, name: str, worker_id: int):
    """``data`` packed for the queue; a packable ``ExceptionWrapper`` when that fails."""
    if isinstance(data, ExceptionWrapper):
        data = _picklable(data)
    try:
        return shared_memory.pack(data, name)
    except Exception:
        wrapper = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
    return shared_memory.pack(_picklable(wrapper), name)


def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers,
                 persistent_workers, shm_prefix) -> None:
    """Serve ``(task index, indices)`` requests from ``index_queue`` until ``None`` arrives or
    the main process dies."""
    global _worker_info
    watchdog = ManagerWatchdog()
    try:
        if sys.stderr is not None:
            faulthandler.enable()  # a segfault in a worker prints where it happened
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                  collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        sequence = 0
        while watchdog.is_alive():
            try:
                r = index_queue.get(timeout=WORKER_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    # Shutting down without a ``None`` (the main process's queue may already be
                    # finalized when its iterator is garbage-collected).
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if init_exception is None:
                    # A fresh iterator over the (iterable) dataset for the new epoch.
                    fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                          collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or nothing left: drain the queue until ``None``
            idx, index = r
            if init_exception is not None:
                data = init_exception  # every request reports the failed start-up
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
            sequence += 1
            data_queue.put((idx, _pack_or_error(data, f"{shm_prefix}_{worker_id}_{sequence}",
                                                worker_id)))
            del data, idx, index, r  # free the batch before waiting for the next request
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down
    if not watchdog.is_alive():
        # Nobody reads the results any more: exit without flushing them.
        data_queue.cancel_join_thread()
        data_queue.close()
