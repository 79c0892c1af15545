"""DistributedDataParallel under real mpiexec: world size 2 trains exactly like world size 1."""

import numpy as np
import pytest
from mpi_testutils import check, requires_mpi, run_mpi

import ember
from ember.nn.parallel.reducer import assign_buckets

PARAMS = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


@requires_mpi
def test_world_size_2_equals_single_process(tmp_path):
    for n in (1, 2):
        check(run_mpi(n, "ddp_train.py", tmp_path, 4))
    single = np.load(tmp_path / "ddp_ws1_rank0.npz")
    ranks = [np.load(tmp_path / f"ddp_ws2_rank{r}.npz") for r in range(2)]
    for name in PARAMS:
        np.testing.assert_allclose(ranks[0][name], single[name], rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name], err_msg=name)
    # rank 1 started from other weights and buffers: they were replaced by rank 0's
    np.testing.assert_array_equal(ranks[1]["scale"], [1.0, 1.0, 1.0])
    assert int(ranks[0]["n_buckets"]) == 2 and int(single["n_buckets"]) == 2
    keys = ranks[0]["keys"].tobytes().decode().split(",")
    # torch's order: the module's own buffers, then its children's entries, all under "module."
    assert keys == ["module.scale", "module.fc1.weight", "module.fc1.bias", "module.fc2.weight",
                    "module.fc2.bias"]
    for res in ranks:  # broadcast at every forward (broadcast_buffers=True)
        np.testing.assert_array_equal(res["scale_after_forward"], [10.0, 10.0, 10.0])
    # two buckets: the first all-reduce started while fc1's gradient did not exist yet
    for res in ranks + [single]:
        assert res["launched_before_fc1_grad"].tolist() == [True, False]
    # under no_sync each rank keeps its own (different) gradient
    for res in ranks:
        np.testing.assert_allclose(res["no_sync_grad"], res["local_grad"], rtol=1e-6)
    assert not np.allclose(ranks[0]["no_sync_grad"], ranks[1]["no_sync_grad"])


@requires_mpi
def test_find_unused_parameters_and_error_without(tmp_path):
    check(run_mpi(2, "ddp_unused.py", tmp_path))
    res = [np.load(tmp_path / f"unused_rank{r}.npz") for r in range(2)]
    for r in range(2):
        # d(sum)/d(a.weight) = x = r + 1 on rank r: the average is 1.5
        np.testing.assert_allclose(res[r]["a.weight"], [[1.5, 1.5]])
        np.testing.assert_allclose(res[r]["a.bias"], [1.0])
        # b: used on rank 0 only (x = 1), rank 1 contributes zeros: average 0.5
        np.testing.assert_allclose(res[r]["b.weight"], [[0.5, 0.5]])
        np.testing.assert_allclose(res[r]["b.bias"], [0.5])
        assert bool(res[r]["never_grad_is_none"])
        msg = res[r]["error"].tobytes().decode()
        assert "Expected to have finished reduction in the prior iteration" in msg
        assert "find_unused_parameters=True" in msg
        assert "never.weight, never.bias" in msg


@requires_mpi
def test_killed_rank_makes_training_fail_fast(tmp_path):
    proc = run_mpi(2, "ddp_killed.py", tmp_path, timeout=60)
    assert proc.returncode != 0
    assert "unreachable" not in proc.stdout
    # both trained 3 steps together, then rank 0 stopped in step 3's gradient all-reduce
    for r in range(2):
        assert (tmp_path / f"rank{r}.log").read_text().split("\n")[:-1] == [
            f"finished step {i}" for i in range(3)]
    assert "DistBackendError" in proc.stderr
    assert "all_reduce(AVG)" in proc.stderr and "did not finish within the timeout of 3 s" in proc.stderr
    assert "rank 1 (pid" in proc.stderr and "has exited" in proc.stderr


def test_bucket_assignment_reverse_order_and_caps():
    ps = [ember.nn.Parameter(ember.zeros(n)) for n in (10, 300_000, 20, 30)]  # float32: 4 B each
    wide = ember.nn.Parameter(ember.zeros(5, dtype=ember.float64))
    def ids(buckets):
        return [[id(p) for p in b] for b in buckets]

    # reversed order; a bucket closes once it reaches the cap; one dtype per bucket; the
    # buckets still open at the end follow the closed ones
    assert ids(assign_buckets(ps + [wide], bucket_cap_bytes=100)) == ids(
        [[ps[3]], [ps[2], ps[1]], [wide], [ps[0]]])
    # with the default 25 MiB cap the first bucket still closes at 1 MiB
    assert ids(assign_buckets(ps, 25 * 2**20)) == ids([[ps[3], ps[2], ps[1]], [ps[0]]])
    assert ids(assign_buckets(ps[:1], 25 * 2**20)) == ids([[ps[0]]])


def test_ddp_needs_trainable_parameters():
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        ember.nn.parallel.DistributedDataParallel(ember.nn.ReLU())
