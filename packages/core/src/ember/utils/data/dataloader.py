"""``DataLoader``: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` the loader starts real processes (``multiprocessing``, the platform's
default start method or ``multiprocessing_context``). The main process hands out index batches
round-robin, keeping ``prefetch_factor`` batches per worker in flight; workers send the collated
batches back through shared memory (see ``_utils/shared_memory.py``), and the main process
returns them in the sampler's order. An error in a worker is re-raised in the main process with
its type, message and the worker's traceback; a worker that dies (``os._exit``, a signal) is
noticed within ``MP_STATUS_CHECK_INTERVAL`` seconds, and ``timeout`` bounds the wait for any
batch. Workers stop when the iterator is exhausted (unless ``persistent_workers``), deleted or
garbage-collected, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import itertools
import math
import multiprocessing
import multiprocessing.context
import os
import queue
import signal
import time
import warnings
import weakref
from collections.abc import Callable, Iterable

import ember

from ._utils import MP_STATUS_CHECK_INTERVAL, SHUTDOWN_TIMEOUT, ExceptionWrapper, shared_memory
from ._utils.collate import default_collate, default_convert
from ._utils.fetch import _DatasetKind
from ._utils.worker import _IterableDatasetStopIteration, _ResumeIteration, _worker_loop
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

from ._utils.worker import get_worker_info  # noqa: E402 - re-exported


class _InfiniteConstantSampler(Sampler):
    """The sampler of iterable datasets: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


def _max_workers() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


class DataLoader:
    """Iterate over a dataset in (shuffled) batches, optionally loading them in worker processes.

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__``/``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch; ``None`` turns automatic batching off.
        shuffle: a new random order every epoch (a ``RandomSampler``).
        sampler: the order of the indices (exclusive with ``shuffle``).
        batch_sampler: yields whole index batches (exclusive with ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: worker processes; 0 loads in the main process.
        collate_fn: merges a list of samples into a batch (default ``default_collate``, or
            ``default_convert`` without automatic batching).
        pin_memory: accepted for compatibility; ember's CPU memory needs no pinning.
        drop_last: drop the last, incomplete batch.
        timeout: seconds to wait for a batch from the workers before raising (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a start method name (``"fork"``, ``"spawn"``, ``"forkserver"``)
            or a ``multiprocessing`` context.
        generator: the ``ember.Generator`` for the shuffle and for the workers' base seed.
        prefetch_factor: batches in flight per worker (default 2 with workers).
        persistent_workers: keep the workers (and their dataset copies) between epochs.
        pin_memory_device: accepted for compatibility.
    """

    __initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "") -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self.__initialized = True

    # ---- configuration -------------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid "
                                     f"start method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context "
                                "object or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self.__multiprocessing_context = context

    def __setattr__(self, attr, val) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler",
                                           "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        # What the iterators draw from: index batches with automatic batching, else indices.
        return self.batch_sampler if self._auto_collation else self.sampler

    # ---- iteration -----------------------------------------------------------------------
    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else \
                    math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn when more workers are asked for than this process may use CPUs."""
        cpus = _max_workers()
        if cpus is not None and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                          f"total. Our suggested max number of worker in current system is "
                          f"{cpus}, which is smaller than what this DataLoader is going to "
                          "create. Please be aware that excessive worker creation might get "
                          "DataLoader running slow or even freeze, lower the worker number to "
                          "avoid potential slowness/freeze if necessary.", stacklevel=3)


def _draw_base_seed(generator) -> int:
    return int(ember.randint(0, 2 ** 63 - 1, (1,), generator=generator).item())


class _BaseDataLoaderIter:
    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        # The sampler's generator runs lazily, so the base seed is drawn first, like PyTorch.
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = _draw_base_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if self._dataset_kind == _DatasetKind.Iterable and \
                self._IterableDataset_len_called is not None and \
                self._num_yielded > self._IterableDataset_len_called:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                   f"{self._IterableDataset_len_called} (when accessing len(dataloader)), but "
                   f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly "
                        "configuring the IterableDataset replica at each worker.")
            warnings.warn(msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise TypeError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._dataset_fetcher = _DatasetKind.create_fetcher(
            self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
            self._drop_last)

    def _next_data(self):
        return self._dataset_fetcher.fetch(self._next_index())


# Iterators with live workers, shut down at interpreter exit (before multiprocessing's own exit
# handler, registered earlier, terminates whatever daemonic workers are left).
_live_iterators: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _shutdown_live_iterators() -> None:
    for it in list(_live_iterators):
        it._shutdown_workers()


def _exit_reason(worker_id: int, process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = f"{signal.Signals(-code).name} ({signal.strsignal(-code)})"
        except ValueError:
            name = str(-code)
        return f"worker {worker_id} was killed by signal {name}"
    return f"worker {worker_id} exited with code {code}"


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Hands index batches to the workers and returns their batches in the sampler's order.

    Bookkeeping (as in PyTorch): task ``i`` is the ``i``-th index batch; ``_task_info[i]`` is
    ``(worker_id,)`` while in flight and ``(worker_id, data)`` once it arrived out of order;
    ``_rcvd_idx`` is the next task to return, ``_send_idx`` the next to hand out.
    """

    _shutdown = True  # until the workers exist: ``__del__`` of a half-built iterator is a no-op

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        # Batches in flight; at least one per worker (``prefetch_factor=0`` means no read-ahead).
        self._max_outstanding = max(1, loader.prefetch_factor) * self._num_workers
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._shm_prefix = shared_memory.new_prefix()
        self._workers: list = []
        self._index_queues: list = []
        self._workers_status: list[bool] = []
        self._worker_result_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._shutdown = False
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # never block exit on undelivered requests
                w = ctx.Process(
                    target=_worker_loop,
                    args=(self._dataset_kind, self._dataset, index_queue,
                          self._worker_result_queue, self._workers_done_event,
                          self._auto_collation, self._collate_fn, self._drop_last,
                          self._base_seed, loader.worker_init_fn, i, self._num_workers,
                          self._persistent_workers, self._shm_prefix),
                    daemon=True)
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
                self._workers_status.append(True)
        except BaseException:
            self._shutdown_workers()
            raise
        _live_iterators.add(self)
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: start a new epoch, dropping whatever the last one left over.
            for q in self._index_queues:
                q.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                idx, _ = self._get_data()
                if isinstance(idx, _ResumeIteration):
                    pending -= 1
        for _ in range(self._max_outstanding):
            self._try_put_index()

    # ---- receiving -------------------------------------------------------------------------
    def _check_workers(self) -> None:
        """Raise (after shutting everything down) if an active worker has died."""
        failed = [(i, w) for i, w in enumerate(self._workers)
                  if self._workers_status[i] and not w.is_alive()]
        if failed:
            pids = ", ".join(str(w.pid) for _, w in failed)
            reasons = "; ".join(_exit_reason(i, w) for i, w in failed)
            # No graceful exit: the dead worker may have taken the result queue's lock with it,
            # and the others would block on it forever.
            self._shutdown_workers(graceful=False)
            raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly: "
                               f"{reasons}")

    def _get_data(self):
        """The next ``(task index, batch)`` from any worker (batch unpacked from shared memory).

        Waits in short slices so that a dead worker is noticed quickly, and at most ``timeout``
        seconds in all when a timeout is set.
        """
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = MP_STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                idx, packed = self._worker_result_queue.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds") from None
                continue
            return idx, shared_memory.unpack(packed)

    def _next_data(self):
        while True:
            # Skip tasks that went to workers whose iterable dataset has ended.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                return self._process_data(self._task_info.pop(self._rcvd_idx)[1])
            if self._shutdown:
                raise RuntimeError("DataLoader iterator was used after its workers shut down")
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (data,)
            else:
                del self._task_info[idx]
                return self._process_data(data)

    def _process_data(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    # ---- sending ---------------------------------------------------------------------------
    def _try_put_index(self) -> None:
        if self._shutdown or self._tasks_outstanding >= self._max_outstanding:
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # the next worker still serving this epoch
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's iterable dataset has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        """Stop a (non-persistent) worker whose iterable dataset has ended."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    # ---- shutdown --------------------------------------------------------------------------
    def _drain(self, timeout: float) -> bool:
        """Take one message off the result queue and free its shared block; False if none."""
        try:
            _, packed = self._worker_result_queue.get(timeout=timeout)
        except (queue.Empty, OSError, EOFError, ValueError):
            return False
        shared_memory.release(packed)
        return True

    def _shutdown_workers(self, graceful: bool = True) -> None:
        """Stop the workers, free every batch still in flight, close the queues. Idempotent.

        ``graceful``: let the workers finish their current batch and exit (for at most
        ``SHUTDOWN_TIMEOUT`` seconds) before terminating them; otherwise terminate at once.
        """
        if self._shutdown:
            return
        self._shutdown = True
        _live_iterators.discard(self)
        try:
            self._workers_done_event.set()
            for q in self._index_queues:
                q.put(None)
            # A worker that died on its own may have left a half-written message in the result
            # queue (reading it would block) or held its lock: don't wait for the others then.
            graceful = graceful and not any(w.exitcode for w in self._workers)
            # Keep reading while the workers exit: they may be blocked flushing results.
            deadline = time.monotonic() + (SHUTDOWN_TIMEOUT if graceful else 0.0)
            while any(w.is_alive() for w in self._workers) and time.monotonic() < deadline:
                self._drain(0.02)
            for w in self._workers:
                if w.is_alive():
                    w.terminate()
                    graceful = False
                w.join(timeout=1.0)
            if graceful:  # every worker exited cleanly: free the batches they left behind
                while self._drain(0.0):
                    pass
            for q in (*self._index_queues, self._worker_result_queue):
                q.cancel_join_thread()
                q.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.kill()
            shared_memory.cleanup(self._shm_prefix)  # blocks of workers that died mid-batch

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # at interpreter exit, modules may already be torn down
            pass

