"""``ember.distributed``: processes that train together (``torch.distributed``'s API).

Two backends: ``"mpi"`` (mpi4py; tensors on any device, staged through host memory) and
``"nccl"`` (CuPy's NCCL; CUDA tensors). Start a job with the launcher::

    python -m ember.distributed.run -n 4 train.py --lr 0.1

and in ``train.py``::

    import ember.distributed as dist
    dist.init_process_group("mpi", timeout=datetime.timedelta(minutes=5))
    t = ember.ones(3) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

Every collective honours the group's ``timeout``: when a peer dies or hangs, the others raise
``DistBackendError`` (a ``RuntimeError``) naming the operation and the ranks, and the job aborts.
``import ember`` never imports MPI or CuPy: the backends load in ``init_process_group``.
"""

from __future__ import annotations

from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
    send,
)
from .errors import DistBackendError, DistError, DistNetworkError, DistStoreError
from .object_collectives import (
    all_gather_object,
    broadcast_object_list,
    gather_object,
    scatter_object_list,
)
from .process_group import GroupMember, ProcessGroup
from .reduce_op import ReduceOp
from .store import TCPStore
from .work import Work
from .world import (
    default_pg_timeout,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    new_group,
)

group = GroupMember  # ``dist.group.WORLD``, as in PyTorch

__all__ = [
    "DistBackendError", "DistError", "DistNetworkError", "DistStoreError", "GroupMember",
    "ProcessGroup", "ReduceOp", "TCPStore", "Work", "all_gather", "all_gather_into_tensor",
    "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
    "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_global_rank", "get_group_rank", "get_process_group_ranks", "get_rank",
    "get_world_size", "group", "init_process_group", "irecv", "is_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "isend", "new_group", "recv", "reduce",
    "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send",
]
