"""Internals of the ``DataLoader``: collation, fetching, worker processes, shared memory."""

from __future__ import annotations

import sys
import traceback

# How often (seconds) the main process checks that its workers are alive while it waits for a
# batch, and how often a worker checks that the main process is alive while it waits for work.
MP_STATUS_CHECK_INTERVAL = 0.1
WORKER_STATUS_CHECK_INTERVAL = 0.25
# How long shutdown waits for workers to exit by themselves before terminating them.
SHUTDOWN_TIMEOUT = 5.0


class KeyErrorMessage(str):
    """A string whose ``repr`` is itself: ``KeyError`` shows its message unescaped."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process and re-raised there with the
    worker's traceback in its message (like ``torch._utils.ExceptionWrapper``)."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # The exception class needs other constructor arguments: keep the message.
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            del exception  # no frame ↔ traceback cycle keeping the DataLoader iterator alive
