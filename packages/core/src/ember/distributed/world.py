"""The default process group: ``init_process_group``, ``new_group``, ``get_rank`` & co.

Under ``mpiexec`` (or ``python -m ember.distributed.run``) rank and world size come from the MPI
communicator; otherwise from the usual variables ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` (and
``MASTER_ADDR``/``MASTER_PORT`` for NCCL's unique-id exchange).
"""

from __future__ import annotations

import atexit
import datetime
import os
import sys
import time
import traceback

from .errors import DistBackendError
from .process_group import GroupMember, ProcessGroup
from .work import _seconds

default_pg_timeout = datetime.timedelta(minutes=30)
_BACKENDS = ("mpi", "nccl")

_state: dict = {"world": None, "groups": [], "hooks_installed": False, "broken": False}


def is_available() -> bool:
    """True: ember.distributed is built in (a backend may still lack its library)."""
    return True


def is_mpi_available() -> bool:
    """Whether the MPI backend can run: mpi4py imports and an ``mpiexec`` is there to start jobs
    (neither is imported or run here beyond finding them)."""
    import importlib.util

    from .run import find_mpiexec

    if importlib.util.find_spec("mpi4py") is None:
        return False
    try:
        find_mpiexec()
    except RuntimeError:
        return False
    return True


def is_nccl_available() -> bool:
    """Whether CuPy with NCCL support can be imported."""
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception:  # cupy raises various errors without a CUDA driver
        return False
    return True


def is_initialized() -> bool:
    """Whether the default process group has been initialised."""
    return _state["world"] is not None


def _world() -> ProcessGroup:
    if _state["world"] is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _state["world"]


def _resolve(group) -> ProcessGroup:
    """``group`` (None = the default group) as a ProcessGroup this rank belongs to."""
    if group is None or group is GroupMember.WORLD:
        return _world()
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("this rank is not part of the group it calls a collective on")
    return group


def in_mpi_job() -> int | None:
    """The world size of the MPI job this process was started in (from the launcher's
    environment, without importing MPI), or None."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the job's processes into the default group (every rank calls it).

    Args:
        backend: ``"mpi"`` (any device, through host memory) or ``"nccl"`` (CUDA tensors, CuPy).
            None picks ``"mpi"``.
        init_method: ``"env://"`` (default) for NCCL; ignored by MPI (the communicator knows).
        timeout: a ``datetime.timedelta`` or seconds (default 30 minutes): a collective that
            has not finished by then raises ``DistBackendError`` naming the op and the ranks.
        world_size, rank: for NCCL without MPI (default: ``WORLD_SIZE``/``RANK``).
        device_id: for NCCL, the CUDA device of this rank (default: ``LOCAL_RANK``).

    Examples::

        >>> import ember.distributed as dist
        >>> dist.init_process_group("mpi")   # under: python -m ember.distributed.run -n 2 x.py
        >>> dist.get_rank(), dist.get_world_size()
    """
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    backend = (backend or "mpi").lower()
    if backend not in _BACKENDS:
        raise ValueError(f"Invalid backend {backend!r}: ember.distributed supports {list(_BACKENDS)}")
    seconds = _seconds(timeout if timeout is not None else default_pg_timeout)
    if seconds <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    if backend == "mpi":
        from .mpi_backend import ProcessGroupMPI

        _install_abort_on_failure()
        try:
            pg = ProcessGroupMPI.world(seconds)
        except DistBackendError:
            _state["broken"] = True  # a peer never joined: finalizing MPI would wait for it
            raise
        if (world_size not in (-1, pg.size())) or (rank not in (-1, pg.rank())):
            raise ValueError(f"world_size={world_size}, rank={rank} disagree with the MPI job "
                             f"(world size {pg.size()}, rank {pg.rank()})")
    else:
        from .nccl_backend import ProcessGroupNCCL

        pg = ProcessGroupNCCL.world(seconds, init_method, world_size, rank, store, device_id)
    _state["world"] = pg
    GroupMember.WORLD = pg


def destroy_process_group(group=None) -> None:
    """Tear down ``group`` (default: the default group and every group made by ``new_group``)."""
    if group is None or group is GroupMember.WORLD:
        for g in _state["groups"]:
            g.destroy()
        if _state["world"] is not None:
            _state["world"].destroy()
        _state["world"], _state["groups"] = None, []
        GroupMember.WORLD = None
    elif group is not GroupMember.NON_GROUP_MEMBER:
        group.destroy()
        _state["groups"] = [g for g in _state["groups"] if g is not group]


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False):
    """A group of the global ``ranks`` (all of them when None); every rank of the default group
    must call it. Ranks outside the group get ``GroupMember.NON_GROUP_MEMBER``."""
    world = _world()
    ranks = sorted(set(range(world.size()) if ranks is None else ranks))
    bad = [r for r in ranks if not 0 <= r < world.size()]
    if bad:
        raise ValueError(f"new_group: ranks {bad} are outside the world of size {world.size()}")
    seconds = world.timeout if timeout is None else _seconds(timeout)
    pg = world.subgroup(ranks, seconds)
    if pg is None:
        return GroupMember.NON_GROUP_MEMBER
    _state["groups"].append(pg)
    return pg


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (global rank by default; -1 if not a member)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).rank()


def get_world_size(group=None) -> int:
    """The number of processes in ``group`` (default: all)."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return _resolve(group).size()


def get_backend(group=None) -> str:
    return _resolve(group).name()


def get_process_group_ranks(group) -> list[int]:
    """The global ranks of ``group``'s members."""
    return list(_resolve(group).ranks)


def get_global_rank(group, group_rank: int) -> int:
    return _resolve(group).global_rank(group_rank)


def get_group_rank(group, global_rank: int) -> int:
    return _resolve(group).group_rank(global_rank)


def _install_abort_on_failure() -> None:
    """In an MPI job of several ranks, an uncaught exception (or a timed-out collective) aborts
    the whole job, so that the peers stop at once instead of waiting for their own timeout;
    this is what ``torchrun`` does by killing the other workers."""
    if _state["hooks_installed"]:
        return
    _state["hooks_installed"] = True
    previous = sys.excepthook

    def several_ranks() -> bool:
        from .mpi_backend import mpi

        return mpi().COMM_WORLD.Get_size() > 1

    def excepthook(kind, value, tb):
        previous(kind, value, tb)
        if several_ranks():
            _abort(1)

    def at_exit():
        groups = [_state["world"], *_state["groups"]]
        if _state["broken"] or any(g is not None and g.broken for g in groups):
            _abort(1)  # MPI_Finalize would wait for the peer that never answered

    sys.excepthook = excepthook
    atexit.register(at_exit)


def _abort(code: int) -> None:
    from .mpi_backend import mpi

    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.2)  # let mpiexec forward the error message before it tears the job down
    try:
        mpi().COMM_WORLD.Abort(code)
    except Exception:  # noqa: BLE001 - already tearing down: never mask the original error
        traceback.print_exc()
        os._exit(code)
