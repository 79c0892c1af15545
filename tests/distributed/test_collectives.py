"""ember.distributed under a real ``mpiexec`` (2 and 4 ranks) against NumPy references."""

import pickle
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest
from mpi_testutils import check, requires_mpi, run_mpi


def x_of(rank):
    return np.random.default_rng(rank).standard_normal((4, 3)).astype(np.float32)


def _load(out, n):
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(n)]


def _obj(arr):
    return pickle.loads(arr.tobytes())


@requires_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_collectives_match_numpy(tmp_path, n):
    check(run_mpi(n, "api_check.py", tmp_path, env={"EMBER_TEST_MARKER": f"passed-{n}"}))
    got = _load(tmp_path, n)
    xs = np.stack([x_of(r).astype(np.float64) for r in range(n)])
    close = dict(rtol=1e-5, atol=1e-6)
    for r, res in enumerate(got):
        assert int(res["rank"]) == r and int(res["world"]) == n
        np.testing.assert_allclose(res["all_reduce_SUM"], xs.sum(0), **close)
        np.testing.assert_allclose(res["all_reduce_AVG"], xs.mean(0), **close)
        np.testing.assert_allclose(res["all_reduce_MAX"], xs.max(0), **close)
        np.testing.assert_allclose(res["all_reduce_MIN"], xs.min(0), **close)
        np.testing.assert_allclose(res["all_reduce_PRODUCT"], xs.prod(0), **close)
        np.testing.assert_array_equal(res["all_reduce_int"], np.arange(6) * sum(range(1, n + 1)))
        np.testing.assert_array_equal(res["all_reduce_bor"], [(1 << n) - 1, 3])
        np.testing.assert_array_equal(res["all_reduce_bool_max"], [True, True, False])
        bf16_sum = xs.astype(ml_dtypes.bfloat16).astype(np.float64).sum(0)
        np.testing.assert_allclose(res["all_reduce_bf16"], bf16_sum, rtol=1e-2, atol=1e-2)
        np.testing.assert_allclose(res["all_reduce_view_base"], xs.sum(0), **close)
        np.testing.assert_allclose(res["all_reduce_param"], xs.mean(0), **close)
        assert bool(res["async_done"])
        np.testing.assert_allclose(res["async_result"], xs.sum(0), **close)
        np.testing.assert_array_equal(res["broadcast"], x_of(n - 1))
        np.testing.assert_array_equal(res["broadcast_bf16"],
                                      x_of(1).astype(ml_dtypes.bfloat16).astype(np.float32))
        if r == 1:
            np.testing.assert_allclose(res["reduce"], xs.sum(0), **close)
        else:  # the non-destination ranks keep their input
            np.testing.assert_array_equal(res["reduce"], x_of(r))
        np.testing.assert_array_equal(res["all_gather"], xs.astype(np.float32))
        np.testing.assert_array_equal(res["all_gather_into_tensor"], xs.reshape(4 * n, 3).astype(np.float32))
        np.testing.assert_array_equal(res["all_gather_into_tensor_stacked"], xs.astype(np.float32))
        np.testing.assert_allclose(res["reduce_scatter_tensor"], xs.sum(0) + n * r, **close)
        np.testing.assert_array_equal(res["scatter"], x_of(100 + r))
        assert int(res["recv_from"]) == (r - 1) % n
        np.testing.assert_array_equal(res["ring"], x_of((r - 1) % n))
        assert _obj(res["bcast_obj"]) == {"rank": 0, "name": ""}
        assert _obj(res["all_gather_obj"]) == [("rank", i, list(range(i))) for i in range(n)]
        assert _obj(res["scatter_obj"]) == f"to-{r}" * (r + 1)
        odd = [i for i in range(n) if i % 2 == 1]
        assert int(res["odd_group_rank"]) == (odd.index(r) if r in odd else -1)
        if r in odd:
            np.testing.assert_allclose(res["odd_all_reduce"], xs[odd].sum(0), **close)
            np.testing.assert_array_equal(res["odd_broadcast"], x_of(1))
        assert "tensor_list has 1 tensors, the group has" in res["bad_list_error"].tobytes().decode()
        np.testing.assert_array_equal(res["sampler"][:2], [r, n])
        padded = list(range(10)) + list(range(10))[: -10 % n]
        np.testing.assert_array_equal(res["sampler"][2:], padded[r::n])
        np.testing.assert_array_equal(res["env_ranks"], [r, n, r, n])  # one host
        assert res["env_marker"].tobytes().decode() == f"passed-{n}"  # the launcher passes env
        for name in ("fake", "opencl"):  # whichever non-CPU backends are installed
            if f"all_reduce_on_{name}" in res:
                np.testing.assert_allclose(res[f"all_reduce_on_{name}"], xs.sum(0), **close)
                assert res[f"device_after_{name}"].tobytes().decode().startswith(name)
    np.testing.assert_array_equal(got[0]["gather"], xs.astype(np.float32))
    assert _obj(got[0]["gather_obj"]) == [{"r": i} for i in range(n)]


@requires_mpi
def test_hung_collective_times_out_naming_op_and_ranks():
    # rank 1 exits (os._exit) before an all_reduce: rank 0 must raise, not hang
    proc = run_mpi(2, "timeout_check.py", timeout=60)
    assert proc.returncode != 0
    err = proc.stderr
    assert "DistBackendError" in err
    assert "all_reduce(SUM) of a [1000] ember.float32 tensor did not finish within the timeout of 2 s" in err
    assert "on rank 0; the group's ranks are [0, 1]" in err
    assert "rank 1 (pid" in err and "has exited" in err


@requires_mpi
def test_rank_missing_at_init_times_out():
    proc = run_mpi(2, "init_timeout.py", timeout=60)
    assert proc.returncode != 0 and "unreachable" not in proc.stdout
    assert "init_process_group did not finish within the timeout of 2 s on rank 0: some rank of " \
           "the 2 did not call init_process_group" in proc.stderr


def test_distributed_sampler_without_process_group():
    import ember

    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        ember.utils.data.DistributedSampler(list(range(4)))


def test_import_ember_does_not_load_mpi():
    code = ("import sys, ember, ember.distributed as d; import ember.nn.parallel; "
            "assert 'mpi4py' not in sys.modules; assert not d.is_initialized(); "
            "assert d.is_available()")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_uninitialised_and_bad_arguments():
    import ember
    import ember.distributed as dist

    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Invalid backend 'gloo'"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="AVG needs a floating point"):
        from ember.distributed.collectives import _check_op

        _check_op(dist.ReduceOp.AVG, ember.arange(3))


def test_launcher_reports_missing_mpiexec(monkeypatch, tmp_path):
    import ember.distributed.run as run

    monkeypatch.setattr(run.sysconfig, "get_path", lambda name: str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="no mpiexec found"):
        run.find_mpiexec()
