"""OpInfos of ``ember.special``, the top-level special functions (``erfc``, ``sinc``, ``i0``,
``polygamma``, ``mvlgamma``) and ``softmax``/``log_softmax``.

Samples stay inside each function's domain and away from kinks (``i0e``/``i1e`` at 0) and from
the points where float32 inputs would make the float64 reference meaningless (far tails).
"""

from __future__ import annotations

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr, positive


def _unary(low=-2.0, high=2.0, maker=None):
    make = maker or (lambda rng, shape, dt: arr(rng, shape, dt, low, high))

    def samples(rng, dtype):
        return [Sample((make(rng, (3, 4), dtype),)), Sample((make(rng, (), dtype),))]

    return samples


def _spread(rng, shape, dtype):
    """Values on both sides of every branch switch of the decompositions (|x| = 1, 8, 25)."""
    base = np.array([-9.0, -3.0, -1.2, -0.7, 0.3, 0.9, 1.1, 2.5, 7.5, 8.5, 24.0, 26.0])
    return np.asarray(base[: int(np.prod(shape))].reshape(shape) +
                      rng.uniform(-0.05, 0.05, shape)).astype(dtype)


def _away_from_zero(rng, shape, dtype):
    mag = positive(rng, shape, dtype, 0.3, 3.0)
    return np.asarray(mag * np.where(rng.random(shape) < 0.5, -1, 1)).astype(dtype)


def _special(name):
    return lambda *args, **kwargs: getattr(ember.special, name)(*args, **kwargs)


def _xlogy_samples(rng, dtype):
    # (x = 0 is tested in tests/core/test_special.py: its x-gradient is 0, PyTorch's convention,
    # where finite differences give log(y))
    return [Sample((_away_from_zero(rng, (3, 4), dtype), positive(rng, (3, 4), dtype))),
            Sample((arr(rng, (3, 1), dtype), positive(rng, (4,), dtype)))]


def _zeta_samples(rng, dtype):
    s = positive(rng, (3, 4), dtype, 1.5, 4.0)
    return [Sample((s, positive(rng, (3, 4), dtype, 0.5, 3.0)))]


def _softmax_samples(rng, dtype):
    big = arr(rng, (2, 5), dtype, -3, 3)
    big[0] += 50  # no overflow: the row maximum is subtracted
    return [Sample((arr(rng, (3, 4), dtype),), {"dim": 1}),
            Sample((arr(rng, (2, 3, 4), dtype),), {"dim": 0}),
            Sample((big,), {"dim": -1}), Sample((arr(rng, (), dtype),), {"dim": 0})]


def _tail(rng, shape, dtype):
    return arr(rng, shape, dtype, -8.0, 8.0)


OPS = [
    OpInfo("erfc", lambda x: ember.erfc(x), _unary(maker=_spread), gradgrad=True, rtol32=3e-4),
    OpInfo("special.erfcx", _special("erfcx"), _unary(maker=_spread), gradgrad=True,
           rtol32=3e-4),
    OpInfo("special.ndtr", _special("ndtr"), _unary(-6, 6), gradgrad=True),
    OpInfo("special.log_ndtr", _special("log_ndtr"), _unary(maker=_tail), gradgrad=True,
           rtol32=3e-4),
    OpInfo("special.ndtri", _special("ndtri"), _unary(0.02, 0.98), gradgrad=True,
           atol32=2e-4, rtol32=3e-4),
    OpInfo("i0", lambda x: ember.i0(x), _unary(maker=_spread), gradgrad=True, rtol32=3e-4),
    OpInfo("special.i0e", _special("i0e"), _unary(maker=_away_from_zero), gradgrad=True),
    OpInfo("special.i1", _special("i1"), _unary(maker=_spread), gradgrad=True, rtol32=3e-4),
    OpInfo("special.i1e", _special("i1e"), _unary(maker=_away_from_zero), gradgrad=True),
    OpInfo("sinc", lambda x: ember.sinc(x), _unary(maker=_away_from_zero), gradgrad=True),
    OpInfo("special.entr", _special("entr"), _unary(0.1, 3.0), gradgrad=True),
    OpInfo("special.polygamma1", lambda x: ember.special.polygamma(1, x), _unary(0.3, 5.0),
           gradgrad=True),
    OpInfo("special.polygamma2", lambda x: ember.polygamma(2, x), _unary(0.5, 5.0)),
    OpInfo("special.digamma", _special("digamma"), _unary(0.3, 5.0), gradgrad=True),
    OpInfo("special.multigammaln", lambda x: ember.special.multigammaln(x, 3),
           _unary(1.5, 4.0)),
    OpInfo("special.xlogy", _special("xlogy"), _xlogy_samples, gradgrad=True),
    OpInfo("special.xlog1py", _special("xlog1py"), _xlogy_samples),
    OpInfo("special.zeta", _special("zeta"), _zeta_samples, rtol32=3e-4),
    OpInfo("softmax", lambda x, dim: ember.softmax(x, dim), _softmax_samples, gradgrad=True),
    OpInfo("log_softmax", lambda x, dim: ember.log_softmax(x, dim), _softmax_samples,
           gradgrad=True),
]
