"""The CPU backend's own kernels where NumPy has no ufunc (erf & co. without SciPy)."""

import math

import numpy as np
import pytest

from ember.backends.cpu import _special

KNOWN = [  # published values (Abramowitz & Stegun; DLMF)
    ("erf", 0.5, 0.5204998778130465),
    ("erf", -1.5, -0.9661051464753108),
    ("erfinv", 0.5, 0.4769362762044699),
    ("erfinv", -0.999, -2.326753765513525),
    ("lgamma", 0.5, 0.5 * math.log(math.pi)),
    ("lgamma", 10.0, math.log(362880.0)),
    ("digamma", 1.0, -0.5772156649015329),
    ("digamma", 0.5, -1.9635100260214235),
    ("digamma", -0.5, 0.03648997397857652),
    ("digamma", 30.0, math.fsum(1 / k for k in range(1, 30)) - 0.5772156649015329),  # H_29 - γ
]


@pytest.mark.parametrize("name,x,expected", KNOWN)
def test_fallback_kernels_without_scipy_match_published_values(name, x, expected):
    kernel = _special(name, use_scipy=False)
    got = kernel(np.array([x]))[0]
    assert math.isclose(got, expected, rel_tol=1e-13, abs_tol=1e-15)


def test_fallback_kernels_keep_dtype_and_handle_poles():
    kernel = _special("digamma", use_scipy=False)
    out = kernel(np.array([0.0, -2.0, 1.0], np.float32))
    assert out.dtype == np.float32 and np.isnan(out[:2]).all()
    assert _special("erfinv", use_scipy=False)(np.array([1.0, -1.0, 2.0])).tolist()[:2] == \
        [math.inf, -math.inf]
