"""ember.set_num_threads / get_num_threads drive the BLAS pool NumPy's matmul runs on (read back
independently through threadpoolctl's report of the loaded libraries)."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import ember


def _blas_threads():
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def restore_threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


def test_set_num_threads_reaches_numpys_blas(restore_threads):
    np.ones((2, 2)) @ np.ones((2, 2))  # the BLAS library is loaded with NumPy
    if not _blas_threads():
        pytest.skip("this NumPy reports no BLAS thread pool")
    for n in (1, 2):
        ember.set_num_threads(n)
        assert _blas_threads() == {n}
        assert ember.get_num_threads() == n


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_set_num_threads_rejects_non_positive_integers(bad):
    with pytest.raises(RuntimeError, match="positive integer"):
        ember.set_num_threads(bad)
