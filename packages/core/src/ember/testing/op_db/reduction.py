"""OpInfos of the reductions, scans and sorting ops (``ember/ops/reduction.py``, ``sorting.py``).

Samples are small so that gradcheck stays cheap. Float samples are drawn from a continuous
distribution, so the ops that pick elements (max, sort, median…) meet no ties where gradients are
checked; ties, NaN and integer inputs are exercised by forward-only OpInfos (``grad=False``).
"""

from __future__ import annotations

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr, positive

FLOATS = ("float32", "float64")
ALL = ("float32", "float64", "int64", "int32")


def _shapes(*shapes, low=-2.0, high=2.0, **kwargs):
    """Samples: one random array per shape, each called with ``kwargs``."""

    def samples(rng, dtype):
        return [Sample((arr(rng, s, dtype, low, high),), dict(kwargs)) for s in shapes]

    return samples


def _dims(calls, shape=(3, 4), low=-2.0, high=2.0, maker=None):
    """Samples: one random array of ``shape`` per (args, kwargs) in ``calls``."""
    make = maker or (lambda rng, s, dt: arr(rng, s, dt, low, high))

    def samples(rng, dtype):
        return [Sample((make(rng, shape if c[0] != "scalar" else (), dtype),) + tuple(c[1]),
                       dict(c[2]))
                for c in calls]

    return samples


def _c(*args, scalar=False, **kwargs):
    return ("scalar" if scalar else "", args, kwargs)


def _with_zeros(rng, shape, dtype):
    a = arr(rng, shape, dtype, 0.5, 2.0)
    a.reshape(-1)[[1, 5]] = 0  # row 0 has one zero, row 1 another (3x4)
    a.reshape(-1)[[8, 9]] = 0  # row 2 has two
    return a


def _with_nan(rng, shape, dtype):
    a = arr(rng, shape, dtype)
    a.reshape(-1)[[0, 5, 6]] = np.nan
    return a


def _ties(rng, shape, dtype):
    """Small whole numbers: many ties."""
    return rng.integers(-2, 3, shape).astype(np.float32 if dtype == "bfloat16" else dtype)


_REDUCE_CALLS = [_c(), _c(1), _c(-1, keepdim=True), _c((0, 1)), _c(scalar=True)]
_DIM_CALLS = [_c(1), _c(0, keepdim=True), _c(-1), _c(0, scalar=True)]

OPS = [
    # existing reductions
    OpInfo("sum", lambda x, *a, **k: ember.sum(x, *a, **k), _dims(_REDUCE_CALLS), ALL,
           gradgrad=True),
    OpInfo("mean", lambda x, *a, **k: ember.mean(x, *a, **k), _dims(_REDUCE_CALLS), FLOATS,
           gradgrad=True),
    OpInfo("amax", lambda x, *a, **k: ember.amax(x, *a, **k), _dims(_REDUCE_CALLS), ALL),
    OpInfo("amin", lambda x, *a, **k: ember.amin(x, *a, **k), _dims(_REDUCE_CALLS), ALL),
    OpInfo("logsumexp", lambda x, *a, **k: ember.logsumexp(x, *a, **k),
           _dims([_c(1), _c(0, keepdim=True), _c((0, 1))]), FLOATS, gradgrad=True),
    # prod
    OpInfo("prod", lambda x, *a, **k: ember.prod(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True), _c(scalar=True)]), ALL, gradgrad=True),
    OpInfo("prod_zeros", lambda x, *a, **k: ember.prod(x, *a, **k),
           _dims([_c(1), _c(0), _c()], maker=_with_zeros), FLOATS),
    # max / min
    OpInfo("max", lambda x: ember.max(x), _shapes((3, 4), ()), ALL),
    OpInfo("min", lambda x: x.min(), _shapes((3, 4), ()), ALL),
    OpInfo("max_dim", lambda x, *a, **k: ember.max(x, *a, **k), _dims(_DIM_CALLS), ALL,
           gradgrad=True),
    OpInfo("min_dim", lambda x, *a, **k: x.min(*a, **k), _dims(_DIM_CALLS), ALL, gradgrad=True),
    OpInfo("max_binary", lambda x, y: ember.max(x, y),
           lambda rng, dt: [Sample((arr(rng, (3, 4), dt), arr(rng, (4,), dt)))], FLOATS),
    OpInfo("argmax", lambda x, *a, **k: ember.argmax(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True), _c(None, keepdim=True)], maker=_ties),
           ALL, grad=False),
    OpInfo("argmin", lambda x, *a, **k: x.argmin(*a, **k),
           _dims([_c(), _c(1), _c(-1, keepdim=True)], maker=_ties), ALL, grad=False),
    OpInfo("max_dim_ties", lambda x, d: ember.max(x, d), _dims([_c(1), _c(0)], maker=_ties),
           ALL, grad=False),
    OpInfo("aminmax", lambda x, **k: ember.aminmax(x, **k),
           _dims([_c(), _c(dim=1), _c(dim=0, keepdim=True)]), ALL),
    # statistics
    OpInfo("var", lambda x, *a, **k: ember.var(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True, correction=0), _c((0, 1), correction=2),
                  _c(1, False)]), FLOATS, gradgrad=True),
    OpInfo("std", lambda x, *a, **k: x.std(*a, **k),
           _dims([_c(), _c(1), _c(-1, keepdim=True, correction=0), _c(False)]), FLOATS,
           gradgrad=True),
    OpInfo("var_mean", lambda x, *a, **k: ember.var_mean(x, *a, **k), _dims([_c(), _c(1)]),
           FLOATS),
    OpInfo("std_mean", lambda x, *a, **k: ember.std_mean(x, *a, **k),
           _dims([_c(0, keepdim=True)]), FLOATS),
    OpInfo("nansum", lambda x, *a, **k: ember.nansum(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True)], maker=_with_nan), FLOATS),
    OpInfo("nanmean", lambda x, *a, **k: ember.nanmean(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True)], maker=_with_nan), FLOATS),
    # norms
    OpInfo("norm", lambda x, *a, **k: ember.norm(x, *a, **k),
           _dims([_c(), _c(2, 1), _c("fro", (0, 1)), _c(1, 0, True), _c(3, 1), _c(0.5, 1),
                  _c(2, scalar=True)]), FLOATS, gradgrad=True),
    OpInfo("norm_inf", lambda x, *a, **k: x.norm(*a, **k),
           _dims([_c(float("inf")), _c(float("inf"), 1), _c(float("-inf"), 0, True)]), FLOATS,
           gradgrad=True),
    OpInfo("norm_0", lambda x, *a, **k: ember.norm(x, 0, *a, **k),
           _dims([_c(), _c(1)]), FLOATS),
    # scans
    OpInfo("cumsum", lambda x, *a, **k: ember.cumsum(x, *a, **k),
           _dims([_c(1), _c(0), _c(-1), _c(0, scalar=True)]), ALL, gradgrad=True),
    OpInfo("cumprod", lambda x, *a, **k: x.cumprod(*a, **k),
           _dims([_c(1), _c(0), _c(0, scalar=True)]), ALL, gradgrad=True),
    OpInfo("cumprod_zeros", lambda x, d: ember.cumprod(x, d),
           _dims([_c(1), _c(0)], maker=_with_zeros), FLOATS),
    OpInfo("cummax", lambda x, d: ember.cummax(x, d), _dims([_c(1), _c(0), _c(0, scalar=True)]),
           ALL, gradgrad=True),
    OpInfo("cummin", lambda x, d: x.cummin(d), _dims([_c(1), _c(-2)]), ALL, gradgrad=True),
    OpInfo("cummax_ties", lambda x, d: ember.cummax(x, d), _dims([_c(1), _c(0)], maker=_ties),
           ALL, grad=False),
    OpInfo("cummin_nan", lambda x, d: ember.cummin(x, d), _dims([_c(1), _c(0)], maker=_with_nan),
           FLOATS, grad=False),
    OpInfo("logcumsumexp", lambda x, d: ember.logcumsumexp(x, d),
           _dims([_c(1), _c(0), _c(0, scalar=True)], shape=(5, 6)), FLOATS, gradgrad=True),
    OpInfo("diff", lambda x, *a, **k: ember.diff(x, *a, **k),
           _dims([_c(), _c(2, 0), _c(1, -1)]), ALL, gradgrad=True),
    OpInfo("diff_prepend", lambda x, p: ember.diff(x, dim=1, prepend=p, append=p),
           lambda rng, dt: [Sample((arr(rng, (3, 4), dt), arr(rng, (3, 2), dt)))], FLOATS),
    # logical
    OpInfo("all", lambda x, *a, **k: ember.all(x, *a, **k),
           _dims([_c(), _c(1), _c(0, keepdim=True)], maker=_ties), ALL, grad=False),
    OpInfo("any", lambda x, *a, **k: x.any(*a, **k),
           _dims([_c(), _c(1), _c((0, 1), keepdim=True)], maker=_ties), ALL, grad=False),
    OpInfo("count_nonzero", lambda x, *a: ember.count_nonzero(x, *a),
           _dims([_c(), _c(1), _c((0, 1))], maker=_ties), ALL, grad=False),
    # sorting
    OpInfo("sort", lambda x, *a, **k: ember.sort(x, *a, **k),
           _dims([_c(), _c(0), _c(1, True), _c(0, scalar=True)]), ALL, gradgrad=True),
    OpInfo("sort_ties", lambda x, *a, **k: x.sort(*a, stable=True, **k),
           _dims([_c(1), _c(0, True)], maker=_ties), ALL, grad=False),
    OpInfo("sort_nan", lambda x, **k: x.sort(stable=True, **k),
           lambda rng, dt: [Sample((np.array([[1.0, np.nan, 3.0, 3.0, -1.0]], dt),),
                                   {"descending": d}) for d in (False, True)],
           ("float32", "float64"), grad=False),
    OpInfo("argsort", lambda x, *a, **k: ember.argsort(x, *a, **k),
           _dims([_c(), _c(0, True)], maker=_ties), ALL, grad=False),
    OpInfo("msort", lambda x: ember.msort(x), _shapes((3, 4)), ALL),
    OpInfo("topk", lambda x, *a, **k: ember.topk(x, *a, **k),
           _dims([_c(2), _c(3, 0), _c(2, largest=False), _c(1, 0, scalar=True)]), ALL,
           gradgrad=True),
    OpInfo("kthvalue", lambda x, *a, **k: x.kthvalue(*a, **k),
           _dims([_c(2), _c(3, 0), _c(1, 1, True)]), ALL, gradgrad=True),
    OpInfo("median", lambda x, *a, **k: ember.median(x, *a, **k),
           _dims([_c(), _c(1), _c(0, True), _c(scalar=True)]), ALL, gradgrad=True),
    OpInfo("median_ties", lambda x, *a: ember.median(x, *a),
           _dims([_c(), _c(1), _c(0)], maker=_ties), ALL, grad=False, skip_outputs=(1,)),
    OpInfo("nanmedian", lambda x, *a, **k: ember.nanmedian(x, *a, **k),
           _dims([_c(), _c(1), _c(0, True)], maker=_with_nan), FLOATS),
    OpInfo("mode", lambda x, *a, **k: ember.mode(x, *a, **k),
           _dims([_c(), _c(0), _c(1, True)], maker=_ties), ALL, grad=False),
    OpInfo("mode_grad", lambda x, *a: ember.mode(x, *a), _dims([_c(), _c(0)]), FLOATS),
    OpInfo("unique", lambda x, **k: ember.unique(x, **k),
           _dims([_c(), _c(return_inverse=True, return_counts=True),
                  _c(dim=1, return_inverse=True, return_counts=True)], maker=_ties),
           ALL, grad=False),
    OpInfo("unique_consecutive", lambda x, **k: ember.unique_consecutive(x, **k),
           _dims([_c(return_inverse=True, return_counts=True),
                  _c(dim=0, return_inverse=True, return_counts=True)], maker=_ties),
           ALL, grad=False),
    OpInfo("bincount", lambda x, *a, **k: ember.bincount(x, *a, **k),
           lambda rng, dt: [Sample((rng.integers(0, 6, (10,)).astype(dt),)),
                            Sample((rng.integers(0, 6, (10,)).astype(dt),), {"minlength": 9}),
                            Sample((rng.integers(0, 6, (10,)).astype(dt),
                                    positive(rng, (10,), "float64")))],
           ("int64", "int32"), grad=False),
    OpInfo("histc", lambda x, **k: ember.histc(x, **k),
           _dims([_c(bins=5), _c(bins=4, min=-1, max=1)], shape=(20,)), FLOATS, grad=False),
    OpInfo("searchsorted", lambda s, v, **k: ember.searchsorted(s, v, **k),
           lambda rng, dt: [Sample((np.sort(arr(rng, (6,), dt)), arr(rng, (3, 4), dt)), k)
                            for k in ({}, {"right": True})] +
           [Sample((np.sort(arr(rng, (3, 5), dt), axis=1), arr(rng, (3, 4), dt)),
                   {"side": "right"}),
            Sample((np.array([0, 1, 1, 2, 3]).astype(dt), np.array([1, 2, 5, -1]).astype(dt)))],
           ALL, grad=False),
    OpInfo("bucketize", lambda v, b, **k: ember.bucketize(v, b, **k),
           lambda rng, dt: [Sample((arr(rng, (3, 4), dt), np.array([-1, 0, 0, 1]).astype(dt)),
                                   k) for k in ({}, {"right": True})],
           ALL, grad=False),
]
