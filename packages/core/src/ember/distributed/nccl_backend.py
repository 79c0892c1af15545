"""The NCCL backend (``cupy.cuda.nccl``): collectives on the CUDA tensors' own memory.

Operations are queued on a communication stream that first waits for the compute stream; a CUDA
event recorded after the operation is what ``Work`` polls, so that a collective a peer never
joins times out: the communicator is then aborted (``ncclCommAbort``) and the error raised.

Rank and world size come from the MPI job when there is one (the unique id is broadcast over
MPI), else from ``RANK``/``WORLD_SIZE`` with the unique id served by rank 0 on a ``TCPStore``
at ``MASTER_ADDR:MASTER_PORT``.
"""

from __future__ import annotations

import os

import numpy as np

from .process_group import ProcessGroup
from .reduce_op import ReduceOp
from .world import in_mpi_job

# NCCL's enum values (nccl.h), used where cupy does not export the name
_DTYPES = {"bool": ("NCCL_UINT8", 1), "int8": ("NCCL_INT8", 0), "uint8": ("NCCL_UINT8", 1),
           "int32": ("NCCL_INT32", 2), "uint32": ("NCCL_UINT32", 3), "int64": ("NCCL_INT64", 4), "uint64": ("NCCL_UINT64", 5),
           "float16": ("NCCL_FLOAT16", 6), "float32": ("NCCL_FLOAT32", 7),
           "float64": ("NCCL_FLOAT64", 8), "bfloat16": ("NCCL_BFLOAT16", 9)}
_OPS = {ReduceOp.SUM: ("NCCL_SUM", 0), ReduceOp.AVG: ("NCCL_SUM", 0),
        ReduceOp.PRODUCT: ("NCCL_PROD", 1), ReduceOp.MAX: ("NCCL_MAX", 2),
        ReduceOp.MIN: ("NCCL_MIN", 3)}
# bools travel as bytes: "any" for SUM/MAX, "all" for PRODUCT/MIN
_BOOL_OPS = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.AVG: ReduceOp.MAX, ReduceOp.MAX: ReduceOp.MAX,
             ReduceOp.BOR: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN, ReduceOp.MIN: ReduceOp.MIN,
             ReduceOp.BAND: ReduceOp.MIN}


def _nccl():
    try:
        import cupy
        from cupy.cuda import nccl

        cupy.cuda.runtime.getDeviceCount()  # fails here, clearly, without a usable driver
    except Exception as exc:  # ImportError, or CUDA errors without a driver
        raise RuntimeError("ember.distributed backend 'nccl' needs CuPy built with NCCL and a CUDA "
                           f"GPU ({type(exc).__name__}: {exc}); use backend='mpi' otherwise") from exc
    return cupy, nccl


def nccl_dtype(nccl, np_dtype) -> int:
    """NCCL's datatype code for a NumPy/CuPy dtype (TypeError if NCCL has none)."""
    name = np.dtype(np_dtype).name
    if name not in _DTYPES:
        raise TypeError(f"the NCCL backend cannot move {name} tensors")
    attr, code = _DTYPES[name]
    return getattr(nccl, attr, code)


def nccl_op(nccl, op: ReduceOp, is_bool: bool) -> int:
    """NCCL's reduction code for ``op`` (ValueError for the bitwise ones NCCL lacks)."""
    if is_bool:
        op = _BOOL_OPS.get(op, op)
    if op not in _OPS:
        raise ValueError(f"the NCCL backend does not support {op!r}")
    attr, code = _OPS[op]
    return getattr(nccl, attr, code)


def rendezvous(rank: int, world_size: int, make_id, init_method: str | None, store, timeout: float):
    """The unique id of the job's communicator: rank 0 makes it (``make_id()``, a tuple of 128
    ints) and every rank gets it, through MPI, a given ``store``, or a ``TCPStore`` at
    ``MASTER_ADDR:MASTER_PORT`` (``init_method="tcp://host:port"`` also works)."""
    if store is None and in_mpi_job() is not None and init_method in (None, "env://"):
        from .mpi_backend import mpi

        return mpi().COMM_WORLD.bcast(make_id() if rank == 0 else None, root=0)
    if store is None:
        from .store import TCPStore

        host, port = _master_address(init_method)
        store = TCPStore(host, port, world_size, is_master=rank == 0, timeout=timeout)
    if rank == 0:
        store.set("ember_nccl_unique_id", bytes(b & 0xFF for b in make_id()))
    raw = store.get("ember_nccl_unique_id")
    return tuple(b - 256 if b > 127 else b for b in raw)  # NCCL's id holds C chars


def _master_address(init_method: str | None) -> tuple[str, int]:
    if init_method and init_method.startswith("tcp://"):
        host, _, port = init_method[len("tcp://"):].rpartition(":")
        return host, int(port)
    try:
        return os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    except KeyError as exc:
        raise ValueError(f"backend 'nccl' without MPI needs the environment variable {exc.args[0]} "
                         "(or init_method='tcp://host:port')") from None


def _rank_and_size(world_size: int, rank: int) -> tuple[int, int]:
    if in_mpi_job() is not None:
        from .mpi_backend import mpi

        comm = mpi().COMM_WORLD
        return comm.Get_rank(), comm.Get_size()
    try:
        rank = rank if rank >= 0 else int(os.environ["RANK"])
        world_size = world_size if world_size > 0 else int(os.environ["WORLD_SIZE"])
    except KeyError as exc:
        raise ValueError(f"backend 'nccl' needs rank and world_size: pass them or set "
                         f"{exc.args[0]} (or start the job under mpiexec)") from None
    return rank, world_size


class ProcessGroupNCCL(ProcessGroup):
    """A process group on an NCCL communicator (one CUDA device per rank)."""

    backend_name = "nccl"

    def __init__(self, comm, ranks: list[int], group_rank: int, device: int, timeout: float) -> None:
        super().__init__(ranks, group_rank, timeout)
        self.cupy, self.nccl = _nccl()
        self.comm = comm
        self.device = device
        self.object_device = f"cuda:{device}"
        with self.cupy.cuda.Device(device):
            self.stream = self.cupy.cuda.Stream(non_blocking=True)

    @classmethod
    def world(cls, timeout: float, init_method, world_size: int, rank: int, store, device_id):
        cupy, nccl = _nccl()
        rank, world_size = _rank_and_size(world_size, rank)
        device = _device_index(device_id)
        cupy.cuda.Device(device).use()
        uid = rendezvous(rank, world_size, nccl.get_unique_id, init_method, store, timeout)
        comm = nccl.NcclCommunicator(world_size, uid, rank)
        return cls(comm, list(range(world_size)), rank, device, timeout)

    def subgroup(self, ranks: list[int], timeout: float):
        """A communicator of global ``ranks``: members agree on a new unique id via the default
        group's own broadcast (non-members take part in it too, as all ranks call new_group)."""
        import ember

        from . import collectives

        uid = ember.tensor(list(self.nccl.get_unique_id()) if self.rank() == ranks[0] else [0] * 128,
                           dtype=ember.int64, device=self.object_device)
        collectives.broadcast(uid, ranks[0], group=self)
        if self.rank() not in ranks:
            return None
        me = ranks.index(self.rank())
        comm = self.nccl.NcclCommunicator(len(ranks), tuple(int(v) for v in uid.tolist()), me)
        return ProcessGroupNCCL(comm, ranks, me, self.device, timeout)

    def destroy(self) -> None:
        if self.broken:
            return
        self.comm.destroy()

    def timeout_error(self, op: str, limit: float):
        err = super().timeout_error(op, limit)
        self.comm.abort()  # frees the GPU from the kernel that waits for the missing peer
        return err

    # -- buffers -------------------------------------------------------------------------------
    def to_buffer(self, tensor, reduce: bool):
        if tensor.device.type != "cuda":
            raise ValueError(f"the NCCL backend needs CUDA tensors, got a tensor on {tensor.device}; "
                             "use backend='mpi' for other devices")
        arr = self.cupy.asarray(tensor.detach()._data)
        if not arr.flags.c_contiguous:
            arr = self.cupy.ascontiguousarray(arr)
            return arr, lambda: self.write(tensor, arr)
        return arr, tensor._bump_version

    def empty(self, shape, like):
        with self.cupy.cuda.Device(self.device):
            return self.cupy.empty(shape, like.dtype)

    def write(self, tensor, buf) -> None:
        """Copy ``buf`` into ``tensor`` on the device (through strides for a view)."""
        dst = self.cupy.asarray(tensor.detach()._data)
        dst[...] = buf.reshape(dst.shape)
        tensor._bump_version()

    # -- operations ------------------------------------------------------------------------------
    def _run(self, issue):
        """Queue ``issue(stream_ptr)`` after the work already queued on the compute stream;
        returns ``test()``."""
        cupy = self.cupy
        self.stream.wait_event(cupy.cuda.get_current_stream().record())
        issue(self.stream.ptr)
        done = self.stream.record()

        def test() -> bool:
            if done.done:
                cupy.cuda.get_current_stream().wait_event(done)
                return True
            return False
        return test

    def allreduce(self, buf, op: ReduceOp):
        dt, nop = nccl_dtype(self.nccl, buf.dtype), nccl_op(self.nccl, op, buf.dtype == np.bool_)
        return self._run(lambda s: self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, dt, nop, s))

    def broadcast(self, buf, root: int):
        dt = nccl_dtype(self.nccl, buf.dtype)
        return self._run(lambda s: self.comm.broadcast(buf.data.ptr, buf.data.ptr, buf.size, dt, root, s))

    def reduce(self, buf, op: ReduceOp, root: int):
        dt, nop = nccl_dtype(self.nccl, buf.dtype), nccl_op(self.nccl, op, buf.dtype == np.bool_)
        return self._run(lambda s: self.comm.reduce(buf.data.ptr, buf.data.ptr, buf.size, dt, nop, root, s))

    def allgather(self, send, recv):
        dt = nccl_dtype(self.nccl, send.dtype)
        return self._run(lambda s: self.comm.allGather(send.data.ptr, recv.data.ptr, send.size, dt, s))

    def reduce_scatter(self, send, recv, op: ReduceOp):
        dt, nop = nccl_dtype(self.nccl, send.dtype), nccl_op(self.nccl, op, send.dtype == np.bool_)
        return self._run(lambda s: self.comm.reduceScatter(send.data.ptr, recv.data.ptr, recv.size,
                                                           dt, nop, s))

    def _grouped(self, calls):
        def issue(s) -> None:
            self.nccl.groupStart()
            try:
                for call in calls:
                    call(s)
            finally:
                self.nccl.groupEnd()
        return self._run(issue)

    def gather(self, send, recv, root: int):
        dt, n = nccl_dtype(self.nccl, send.dtype), send.size
        calls = [lambda s: self.comm.send(send.data.ptr, n, dt, root, s)]
        if self._rank == root:
            flat = recv.reshape(self.size(), -1)
            calls += [lambda s, i=i: self.comm.recv(flat[i].data.ptr, n, dt, i, s) for i in range(self.size())]
        return self._grouped(calls)

    def scatter(self, send, recv, root: int):
        dt, n = nccl_dtype(self.nccl, recv.dtype), recv.size
        calls = [lambda s: self.comm.recv(recv.data.ptr, n, dt, root, s)]
        if self._rank == root:
            flat = send.reshape(self.size(), -1)
            calls += [lambda s, i=i: self.comm.send(flat[i].data.ptr, n, dt, i, s) for i in range(self.size())]
        return self._grouped(calls)

    def send(self, buf, dst: int, tag: int):
        dt = nccl_dtype(self.nccl, buf.dtype)
        return self._grouped([lambda s: self.comm.send(buf.data.ptr, buf.size, dt, dst, s)])

    def recv(self, buf, src: int | None, tag: int):
        if src is None:
            raise ValueError("the NCCL backend cannot receive from any source: pass src")
        dt = nccl_dtype(self.nccl, buf.dtype)
        return self._grouped([lambda s: self.comm.recv(buf.data.ptr, buf.size, dt, src, s)]), lambda: src

    def barrier(self):
        one = self.empty((1,), np.zeros(1, np.float32))
        return self.allreduce(one, ReduceOp.SUM)


def _device_index(device_id) -> int:
    if device_id is None:
        return int(os.environ.get("LOCAL_RANK", 0))
    if isinstance(device_id, int):
        return device_id
    if isinstance(device_id, str):
        return int(device_id.rpartition(":")[2] or 0)
    return device_id.index or 0  # an ember.device


__all__ = ["ProcessGroupNCCL", "rendezvous"]
