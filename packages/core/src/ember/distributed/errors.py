"""The exceptions of ``ember.distributed`` (PyTorch's names, all ``RuntimeError`` subclasses)."""

from __future__ import annotations


class DistError(RuntimeError):
    """Base class of the errors raised by ``ember.distributed``."""


class DistBackendError(DistError):
    """A communication backend failed: a collective timed out or a peer is gone."""


class DistNetworkError(DistError):
    """The rendezvous (the TCP store that exchanges NCCL's unique id) could not connect."""


class DistStoreError(DistError):
    """The rendezvous store did not get a value in time."""


__all__ = ["DistBackendError", "DistError", "DistNetworkError", "DistStoreError"]
