"""The parts of the NCCL backend that need no GPU: dtype/op codes, the unique-id rendezvous over
TCPStore, and the error messages. ``gpu_nccl_check.py`` covers the rest on a CUDA machine."""

import socket
import threading
import types

import numpy as np
import pytest

import ember.distributed as dist
from ember.distributed import nccl_backend as nb
from ember.distributed.store import TCPStore

# ncclDataType_t / ncclRedOp_t as published in nccl.h
NCCL_H_DTYPES = {"int8": 0, "uint8": 1, "int32": 2, "uint32": 3, "int64": 4, "uint64": 5,
                 "float16": 6, "float32": 7, "float64": 8, "bool": 1}
NCCL_H_OPS = {"SUM": 0, "PRODUCT": 1, "MAX": 2, "MIN": 3, "AVG": 0}  # AVG: SUM, then divide


def test_dtype_and_op_codes_match_nccl_h():
    bare = types.SimpleNamespace()  # a cupy without the names: the fallback codes
    for name, code in NCCL_H_DTYPES.items():
        assert nb.nccl_dtype(bare, np.dtype(name)) == code, name
    for name, code in NCCL_H_OPS.items():
        assert nb.nccl_op(bare, getattr(dist.ReduceOp, name), False) == code, name
    named = types.SimpleNamespace(NCCL_FLOAT32=70, NCCL_MAX=20)  # cupy's own values win
    assert nb.nccl_dtype(named, np.float32) == 70
    assert nb.nccl_op(named, dist.ReduceOp.SUM, True) == 20  # bool SUM = any = MAX
    assert nb.nccl_op(bare, dist.ReduceOp.PRODUCT, True) == 3  # bool PRODUCT = all = MIN
    with pytest.raises(ValueError, match="does not support ReduceOp.BXOR"):
        nb.nccl_op(bare, dist.ReduceOp.BXOR, False)
    with pytest.raises(TypeError, match="cannot move complex64"):
        nb.nccl_dtype(bare, np.complex64)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unique_id_rendezvous_over_tcp_store(monkeypatch):
    monkeypatch.delenv("PMI_SIZE", raising=False)
    port = _free_port()
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(port))
    uid = tuple(np.random.default_rng(0).integers(-128, 128, 128).tolist())  # C chars: signed
    got = {}

    def rank(r):
        got[r] = nb.rendezvous(r, 3, lambda: uid, None, None, timeout=20)

    threads = [threading.Thread(target=rank, args=(r,)) for r in (1, 2, 0)]  # clients first
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert got == {0: uid, 1: uid, 2: uid}


def test_rendezvous_through_init_method_and_errors(monkeypatch):
    monkeypatch.delenv("PMI_SIZE", raising=False)
    assert nb._master_address("tcp://10.0.0.5:29500") == ("10.0.0.5", 29500)
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(ValueError, match="needs the environment variable MASTER_ADDR"):
        nb._master_address("env://")
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(ValueError, match="set RANK"):
        nb._rank_and_size(-1, -1)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert nb._rank_and_size(-1, -1) == (3, 8)
    assert nb._device_index(None) == 0 and nb._device_index("cuda:2") == 2


def test_store_timeouts_are_clear():
    master = TCPStore("127.0.0.1", 0, 2, is_master=True, timeout=0.5)
    with pytest.raises(dist.DistStoreError, match="key 'missing' was not set within 0.5 s"):
        master.get("missing")
    assert master.add("count", 2) == 2 and master.add("count", 5) == 7
    master.close()
    with pytest.raises(dist.DistNetworkError, match=f"could not connect to 127.0.0.1:{master.port}"):
        TCPStore("127.0.0.1", master.port, 2, timeout=0.5)


# CuPy itself warns when libnccl is absent (as on CI); what ember says is what is checked here
@pytest.mark.filterwarnings(r"ignore:\s*nccl library could not be loaded:UserWarning")
def test_nccl_without_a_gpu_says_what_is_missing(monkeypatch):
    from ember.distributed.nccl_backend import _nccl

    try:
        _nccl()
    except RuntimeError:
        pass
    else:
        pytest.skip("a CUDA GPU with NCCL is present: gpu_nccl_check.py covers the backend")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(RuntimeError, match="backend 'nccl' needs CuPy built with NCCL and a CUDA GPU"):
        dist.init_process_group("nccl", world_size=1, rank=0)
    assert not dist.is_initialized()
