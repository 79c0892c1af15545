"""``ProcessGroup``: a set of ranks that run collectives together, and what backends implement.

A backend (``mpi_backend.py``, ``nccl_backend.py``) moves *buffers* (NumPy arrays for MPI, CuPy
arrays for NCCL). Each operation starts nonblocking and returns a ``test()`` function (True
once finished); ``collectives.py`` turns tensors into buffers and wraps ``test`` in a ``Work``.
"""

from __future__ import annotations

import abc

from .errors import DistBackendError
from .work import timeout_message


class ProcessGroup(abc.ABC):
    """Ranks ``ranks`` (global ranks, in group-rank order) of which this process is ``rank()``.

    Args:
        ranks: the global ranks of the members, index = rank inside the group.
        group_rank: this process's rank in the group (-1 if it is not a member).
        timeout: seconds after which a collective that has not finished raises.
    """

    backend_name = "undefined"
    object_device = "cpu"  # where the object collectives put their pickled bytes
    broken = False  # set once a collective timed out: the communicator can no longer be trusted

    def __init__(self, ranks: list[int], group_rank: int, timeout: float) -> None:
        self.ranks = list(ranks)
        self._rank = group_rank
        self.timeout = float(timeout)

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return len(self.ranks)

    def name(self) -> str:
        return self.backend_name

    def __repr__(self) -> str:
        return f"ProcessGroup({self.backend_name}, ranks={self.ranks}, rank={self._rank})"

    def global_rank(self, group_rank: int) -> int:
        return self.ranks[group_rank]

    def group_rank(self, global_rank: int) -> int:
        """The rank inside this group of global rank ``global_rank`` (ValueError if absent)."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"Global rank {global_rank} is not part of group {self.ranks}") from None

    def timeout_error(self, op: str, limit: float) -> DistBackendError:
        """The error raised when ``op`` did not finish in ``limit`` seconds (also marks the group
        broken, so the process aborts the job at exit instead of hanging in finalize)."""
        self.broken = True
        return DistBackendError(timeout_message(op, self.global_rank(self._rank), self.ranks,
                                                limit, self.peer_report()))

    def peer_report(self) -> str:
        """What the backend knows about the peers' health (e.g. "rank 1 (pid 42) has exited")."""
        return ""

    # -- what a backend implements: buffers in, test() out ---------------------------------------
    # (and the operations allreduce, broadcast, reduce, allgather, reduce_scatter, gather,
    # scatter, send, recv, barrier: see ProcessGroupMPI)
    @abc.abstractmethod
    def to_buffer(self, tensor, reduce: bool):
        """``(buffer, write_back)``: a buffer holding ``tensor``'s data that the backend can send
        and receive into, and a function that copies it back into the tensor (or just records
        the change when the buffer is the tensor's own memory). ``reduce``: it will be reduced."""

    @abc.abstractmethod
    def empty(self, shape, like):
        """A new uninitialised buffer of ``shape`` with ``like``'s dtype (and device)."""

    @abc.abstractmethod
    def write(self, tensor, buf) -> None:
        """Copy buffer ``buf`` into ``tensor``."""

    def destroy(self) -> None:  # noqa: B027 - nothing to release by default
        """Release the communicator."""


class GroupMember:
    """``GroupMember.WORLD`` is the default group; ``NON_GROUP_MEMBER`` is what ``new_group``
    returns to ranks outside the group (as in PyTorch)."""

    WORLD = None
    NON_GROUP_MEMBER = object()


__all__ = ["GroupMember", "ProcessGroup"]
