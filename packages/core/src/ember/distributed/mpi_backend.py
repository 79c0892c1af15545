"""The MPI backend (mpi4py): collectives on host NumPy buffers, nonblocking and polled.

Tensors on any device are staged through host memory (zero-copy for contiguous CPU tensors).
Every operation is the MPI-3/4 nonblocking call (``Iallreduce``, ``Ibcast``, …) so that
``Work.wait`` can give up at the group's timeout instead of blocking forever.
"""

from __future__ import annotations

import os
import socket
import time
import zlib

import ml_dtypes
import numpy as np

import ember

from .errors import DistBackendError
from .process_group import ProcessGroup
from .reduce_op import ReduceOp
from .work import poll_until

# a dtype MPI has no type for: reductions run in float32, data movement on the raw bytes
_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
_BOOL = np.dtype(np.bool_)
_MPI_OPS: dict = {}  # ReduceOp → MPI.Op, filled on first use (MPI loads lazily)


def mpi():
    """The ``mpi4py.MPI`` module (imported on first use: ``import ember`` never loads MPI)."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError("ember.distributed backend 'mpi' needs mpi4py and an MPI library: "
                           "pip install 'ember-core[distributed]' (mpi4py + mpich)") from exc
    return MPI


def _mpi_op(op: ReduceOp, is_bool: bool):
    if not _MPI_OPS:
        MPI = mpi()
        _MPI_OPS.update({ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                         ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                         ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR,
                         # MPI reduces C bools only with logical ops
                         (ReduceOp.SUM, bool): MPI.LOR, (ReduceOp.AVG, bool): MPI.LOR,
                         (ReduceOp.MAX, bool): MPI.LOR, (ReduceOp.BOR, bool): MPI.LOR,
                         (ReduceOp.PRODUCT, bool): MPI.LAND, (ReduceOp.MIN, bool): MPI.LAND,
                         (ReduceOp.BAND, bool): MPI.LAND, (ReduceOp.BXOR, bool): MPI.LXOR})
    return _MPI_OPS[(op, bool) if is_bool else op]


def _host_array(tensor) -> tuple[np.ndarray, bool]:
    """``(array, shares_memory)``: the tensor's data on the host, C-contiguous."""
    if tensor.device.type == "cpu":
        arr = tensor.detach().numpy()
        if arr.flags.c_contiguous:
            return arr, True
        return np.ascontiguousarray(arr), False
    return np.ascontiguousarray(tensor.detach().cpu().numpy()), False


def _write_back(tensor, arr: np.ndarray):
    def write() -> None:
        src = ember.from_numpy(np.ascontiguousarray(arr))
        with ember.no_grad():
            tensor.copy_(src.to(tensor.device))
    return write


def _bump(tensor):
    def bump() -> None:  # the data changed behind autograd's back: keep version checks honest
        tensor._bump_version()
    return bump


class ProcessGroupMPI(ProcessGroup):
    """A process group on an MPI communicator.

    Args:
        comm: the mpi4py communicator (a private duplicate: ember's traffic never mixes with the
            user's own MPI messages).
        ranks: global ranks of the members.
        timeout: seconds before a collective raises.
        peers: ``[(host hash, pid)]`` of every global rank, to say which one died on a timeout.
    """

    backend_name = "mpi"

    def __init__(self, comm, ranks: list[int], timeout: float, peers=None) -> None:
        super().__init__(ranks, comm.Get_rank(), timeout)
        self.comm = comm
        self.peers = peers

    @classmethod
    def world(cls, timeout: float) -> ProcessGroupMPI:
        """The group of all the job's ranks. Joining is nonblocking too: a rank that never calls
        ``init_process_group`` makes the others fail after ``timeout``."""
        MPI = mpi()
        comm, request = MPI.COMM_WORLD.Idup()
        deadline = time.monotonic() + timeout
        _join("init_process_group", request.Test, deadline, timeout)
        comm.Set_errhandler(MPI.ERRORS_RETURN)
        mine = np.array([zlib.crc32(socket.gethostname().encode()), os.getpid()], np.int64)
        peers = np.empty((comm.Get_size(), 2), np.int64)
        _join("init_process_group", comm.Iallgather(mine, peers).Test, deadline, timeout)
        _export_rank_variables(comm.Get_rank(), peers[:, 0])
        return cls(comm, list(range(comm.Get_size())), timeout, [tuple(p) for p in peers.tolist()])

    def subgroup(self, ranks: list[int], timeout: float):
        """The group of global ``ranks`` (collective over this group); None for non-members."""
        MPI = mpi()
        sub = self.comm.Create(self.comm.Get_group().Incl([self.group_rank(r) for r in ranks]))
        if sub == MPI.COMM_NULL:
            return None
        sub.Set_errhandler(MPI.ERRORS_RETURN)
        return ProcessGroupMPI(sub, ranks, timeout, self.peers)

    def destroy(self) -> None:
        if not self.broken:
            self.comm.Free()

    def peer_report(self) -> str:
        if not self.peers:
            return ""
        here = zlib.crc32(socket.gethostname().encode())
        gone = [f"rank {r} (pid {pid})" for r in self.ranks
                for host, pid in [self.peers[r]] if host == here and not _alive(pid)]
        if gone:
            return ", ".join(gone) + (" has" if len(gone) == 1 else " have") + " exited"
        return ""

    # -- buffers -------------------------------------------------------------------------------
    def to_buffer(self, tensor, reduce: bool):
        arr, shared = _host_array(tensor)
        done = _bump(tensor) if shared else _write_back(tensor, arr)
        if arr.dtype != _BFLOAT16:
            return arr, done
        if reduce:  # reduce in float32, round once when writing back
            wire = arr.astype(np.float32)
            return wire, _write_back(tensor, wire)
        return arr.view(np.uint16), done  # the same bytes, in a type MPI knows

    def write(self, tensor, buf) -> None:
        """Copy buffer ``buf`` (as made by ``empty``/``to_buffer``) into ``tensor``."""
        if tensor.dtype is ember.bfloat16 and buf.dtype == np.uint16:
            buf = buf.view(ml_dtypes.bfloat16)
        _write_back(tensor, buf)()

    def empty(self, shape, like):
        return np.empty(shape, like.dtype)

    # -- operations: each returns test() -------------------------------------------------------
    def allreduce(self, buf, op: ReduceOp):
        return self.comm.Iallreduce(_in_place(), buf, _mpi_op(op, buf.dtype is _BOOL)).Test

    def broadcast(self, buf, root: int):
        return self.comm.Ibcast(buf, root=root).Test

    def reduce(self, buf, op: ReduceOp, root: int):
        mop = _mpi_op(op, buf.dtype is _BOOL)
        if self._rank == root:
            return self.comm.Ireduce(_in_place(), buf, op=mop, root=root).Test
        return self.comm.Ireduce(buf, None, op=mop, root=root).Test

    def allgather(self, send, recv):
        return self.comm.Iallgather(send, recv).Test

    def allgatherv(self, send, recv, counts):
        return self.comm.Iallgatherv(send, [recv, list(counts)]).Test

    def reduce_scatter(self, send, recv, op: ReduceOp):
        return self.comm.Ireduce_scatter_block(send, recv, _mpi_op(op, send.dtype is _BOOL)).Test

    def gather(self, send, recv, root: int):
        return self.comm.Igather(send, recv if self._rank == root else None, root=root).Test

    def scatter(self, send, recv, root: int):
        return self.comm.Iscatter(send if self._rank == root else None, recv, root=root).Test

    def send(self, buf, dst: int, tag: int):
        return self.comm.Isend(buf, dest=dst, tag=tag).Test

    def recv(self, buf, src: int | None, tag: int):
        """``(test, source)``: ``source()`` is the sender's group rank once done."""
        MPI = mpi()
        status = MPI.Status()
        req = self.comm.Irecv(buf, source=MPI.ANY_SOURCE if src is None else src, tag=tag)
        return (lambda: req.Test(status)), status.Get_source

    def barrier(self):
        return self.comm.Ibarrier().Test


def _in_place():
    return mpi().IN_PLACE


def _join(op: str, test, deadline: float, timeout: float) -> None:
    if not poll_until(test, deadline):
        raise DistBackendError(
            f"ember.distributed: {op} did not finish within the timeout of {timeout:g} s on rank "
            f"{mpi().COMM_WORLD.Get_rank()}: some rank of the {mpi().COMM_WORLD.Get_size()} "
            "did not call init_process_group")


def _export_rank_variables(rank: int, hosts: np.ndarray) -> None:
    """Set RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE like torchrun does, for code (and
    libraries) that read them; ``hosts[r]`` identifies rank r's machine."""
    same = hosts == hosts[rank]
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(len(hosts)),
                      LOCAL_RANK=str(int(same[:rank].sum())), LOCAL_WORLD_SIZE=str(int(same.sum())))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` on this host still runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


__all__ = ["ProcessGroupMPI"]
