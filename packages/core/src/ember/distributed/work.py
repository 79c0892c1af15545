"""``Work``: the handle an asynchronous collective returns; ``wait()`` fails loudly on timeout.

Every collective is started nonblocking (MPI ``Iallreduce``…, NCCL on a stream) and its handle
is polled until a deadline: a peer that died or hangs makes the survivors raise
``DistBackendError`` naming the op and the ranks instead of blocking forever.
"""

from __future__ import annotations

import os
import time

_BUSY_SECONDS = 1.0  # poll (yielding the core to whoever needs it) this long, as MPI_Wait does
_SLEEP_SECONDS = 1e-3  # then sleep between polls: a wait this long is a straggler, not latency


def poll_until(done, deadline: float) -> bool:
    """Call ``done()`` until it returns True (→ True) or ``deadline`` (monotonic) passes (→ False).

    Nonblocking MPI operations advance only while someone polls them, so the first second is a
    busy poll; ``sched_yield`` lets the other processes on an oversubscribed machine run.
    """
    busy_until = time.monotonic() + _BUSY_SECONDS
    while not done():
        now = time.monotonic()
        if now >= deadline:
            return False
        if now < busy_until:
            os.sched_yield()
        else:
            time.sleep(_SLEEP_SECONDS)
    return True


class Work:
    """A running collective (returned with ``async_op=True``).

    Args:
        op: what runs, for messages (e.g. ``"all_reduce(SUM) of a [1024] ember.float32 tensor"``),
            or a function that makes that string when it is needed.
        group: the process group it runs on (its ``timeout`` and ``timeout_error`` are used).
        test: ``test() -> bool``, True once the communication has finished.
        finish: called once after completion (copies results back into the tensors).
        result: what ``result()`` returns (the output tensors).

    Examples::

        >>> work = dist.all_reduce(t, async_op=True)
        >>> ...  # overlap computation
        >>> work.wait()
    """

    def __init__(self, op, group, test, finish=None, result=None) -> None:
        self._op = op  # a string, or a function making it (only needed for error messages)
        self._group = group
        self._test = test
        self._finish = finish
        self._result = result if result is not None else []
        self._done = False
        self._started = time.monotonic()

    @property
    def op(self) -> str:
        return self._op() if callable(self._op) else self._op

    def is_completed(self) -> bool:
        """True once the collective finished (and the results are in the tensors)."""
        if not self._done and self._test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until done; raise ``DistBackendError`` once ``timeout`` (default: the group's,
        counted from the start of the collective) has passed."""
        if self._done:
            return True
        limit = self._group.timeout if timeout is None else _seconds(timeout)
        if not poll_until(self._test, self._started + limit):
            raise self._group.timeout_error(self.op, limit)
        self._complete()
        return True

    def result(self) -> list:
        """The output tensors (after ``wait()``)."""
        return list(self._result)

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()


class CompletedWork(Work):
    """A ``Work`` that is already done (ops that need no communication, e.g. a group of one)."""

    def __init__(self, op, group, result=None) -> None:
        super().__init__(op, group, lambda: True, None, result)
        self._done = True


def _seconds(timeout) -> float:
    return timeout.total_seconds() if hasattr(timeout, "total_seconds") else float(timeout)


def timeout_message(op: str, rank: int, ranks: list[int], limit: float, detail: str = "") -> str:
    msg = (f"ember.distributed: {op} did not finish within the timeout of {limit:g} s on rank "
           f"{rank}; the group's ranks are {ranks}: at least one of them did not join this "
           "collective (it exited, crashed, hangs, or runs a different collective)")
    return msg + (f". {detail}" if detail else "")


__all__ = ["CompletedWork", "Work", "poll_until"]
