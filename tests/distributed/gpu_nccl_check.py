"""The NCCL backend on a real GPU — run by hand on a CUDA machine (one process, one GPU):

    python tests/distributed/gpu_nccl_check.py

Brings up ``init_process_group("nccl")`` through the TCPStore rendezvous, runs every operation
of the backend on CuPy buffers (and, when the ember CUDA backend is installed, the tensor-level
collectives and DistributedDataParallel on CUDA tensors) and compares with NumPy. With one rank
the reductions are identities, so this checks the plumbing: pointers, dtype codes, streams,
events and the write-back. Prints one PASS line per check; exits 1 at the first failure.
"""

import os
import socket
import sys
import time

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(test, what):
    deadline = time.monotonic() + 30
    while not test():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not finish in 30 s")


def check(name, got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, err_msg=name)
    print("PASS", name, flush=True)


def buffer_level(pg, cupy):
    R = dist.ReduceOp
    ref = np.arange(12, dtype=np.float32).reshape(3, 4)
    for dtype in (np.float32, np.float16, np.float64, np.int64, np.bool_):
        x = cupy.asarray(ref.astype(dtype))
        _wait(pg.allreduce(x, R.SUM), "allreduce")
        check(f"allreduce {np.dtype(dtype).name}", cupy.asnumpy(x), ref.astype(dtype))
    x = cupy.asarray(ref)
    _wait(pg.broadcast(x, 0), "broadcast")
    check("broadcast", cupy.asnumpy(x), ref)
    _wait(pg.reduce(x, R.MAX, 0), "reduce")
    check("reduce", cupy.asnumpy(x), ref)
    out = cupy.zeros((1, 3, 4), cupy.float32)
    _wait(pg.allgather(x, out), "allgather")
    check("allgather", cupy.asnumpy(out)[0], ref)
    rs = cupy.zeros((3, 4), cupy.float32)
    _wait(pg.reduce_scatter(x, rs, R.SUM), "reduce_scatter")
    check("reduce_scatter", cupy.asnumpy(rs), ref)
    g = cupy.zeros((1, 3, 4), cupy.float32)
    _wait(pg.gather(x, g, 0), "gather")
    check("gather (grouped send/recv to self)", cupy.asnumpy(g)[0], ref)
    s = cupy.zeros((3, 4), cupy.float32)
    _wait(pg.scatter(x.reshape(1, 3, 4), s, 0), "scatter")
    check("scatter", cupy.asnumpy(s), ref)
    _wait(pg.barrier(), "barrier")
    print("PASS barrier", flush=True)


def tensor_level():
    import ember
    from ember import nn
    from ember.nn.parallel import DistributedDataParallel as DDP

    t = ember.arange(12, dtype=ember.float32, device="cuda").reshape(3, 4)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    check("all_reduce AVG on a CUDA tensor", t.cpu().numpy(), np.arange(12).reshape(3, 4))
    view = t.t()  # non-contiguous: through a copy and back
    dist.all_reduce(view)
    check("all_reduce on a strided CUDA view", t.cpu().numpy(), np.arange(12).reshape(3, 4))
    objs = [None]
    dist.all_gather_object(objs, {"rank": 0})
    assert objs == [{"rank": 0}]
    print("PASS all_gather_object on cuda", flush=True)
    ember.manual_seed(0)
    plain = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2)).to("cuda")
    twin = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2)).to("cuda")
    twin.load_state_dict(plain.state_dict())
    model = DDP(twin, bucket_cap_mb=0.0001)
    x = ember.randn(4, 8, device="cuda")
    plain(x).pow(2).sum().backward()
    model(x).pow(2).sum().backward()
    for (name, p), q in zip(plain.named_parameters(), twin.parameters()):
        check(f"DDP grad {name}", q.grad.cpu().numpy(), p.grad.cpu().numpy())


if __name__ == "__main__":
    import cupy

    import ember
    import ember.distributed as dist

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(_free_port()))
    dist.init_process_group("nccl", world_size=1, rank=0, timeout=60)
    print("PASS init_process_group('nccl') through TCPStore", flush=True)
    buffer_level(dist.group.WORLD, cupy)
    if "cuda" in ember.backends.available_backends():
        tensor_level()
    else:
        print("SKIP tensor level: the ember CUDA backend (ember-cuda) is not installed")
    dist.destroy_process_group()
    print("ALL PASSED")
    sys.exit(0)
