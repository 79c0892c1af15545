"""OpInfos of the normalization functions (``ember.nn.functional.normalization``).

Small shapes so that gradcheck and gradgradcheck stay cheap. Running statistics are passed as
non-differentiable arguments (``grad_args`` excludes them); in training mode they are updated
in place but do not affect the output.
"""

from __future__ import annotations

import ember.nn.functional as F

from ..opinfo import OpInfo, Sample, arr, positive


def _bn_samples(rng, dtype):
    x4, x2 = arr(rng, (3, 2, 2, 2), dtype), arr(rng, (4, 3), dtype)
    w2, b2 = positive(rng, (2,), dtype), arr(rng, (2,), dtype)
    rm, rv = arr(rng, (2,), dtype), positive(rng, (2,), dtype)
    return [Sample((x4, rm, rv, w2, b2), {"training": True}, grad_args=(0, 3, 4)),
            Sample((x4, rm.copy(), rv.copy(), w2, b2), {"training": False},
                   grad_args=(0, 3, 4)),
            Sample((x2, None, None), {"training": True, "eps": 1e-3}, grad_args=(0,))]


def _in_samples(rng, dtype):
    x = arr(rng, (2, 3, 4), dtype)
    return [Sample((x,), {}),
            Sample((x, None, None, positive(rng, (3,), dtype), arr(rng, (3,), dtype)), {})]


def _ln_samples(rng, dtype):
    return [Sample((arr(rng, (2, 3, 4), dtype), (4,), positive(rng, (4,), dtype),
                    arr(rng, (4,), dtype))),
            Sample((arr(rng, (3, 2, 3), dtype), (2, 3))),
            Sample((arr(rng, (2, 5), dtype), (5,), None, arr(rng, (5,), dtype)))]


def _gn_samples(rng, dtype):
    return [Sample((arr(rng, (2, 4, 3), dtype), 2, positive(rng, (4,), dtype),
                    arr(rng, (4,), dtype))),
            Sample((arr(rng, (1, 6, 2, 2), dtype), 3))]


def _rms_samples(rng, dtype):
    return [Sample((arr(rng, (2, 3, 4), dtype), (4,), positive(rng, (4,), dtype)), {"eps": 1e-5}),
            Sample((arr(rng, (3, 5), dtype), 5))]


def _lrn_samples(rng, dtype):
    return [Sample((arr(rng, (2, 5, 3), dtype), 3), {"alpha": 0.5, "k": 2.0}),
            Sample((arr(rng, (1, 4, 2, 2), dtype), 2), {"alpha": 0.3, "beta": 0.6})]


OPS = [
    OpInfo("nn.functional.batch_norm", F.batch_norm, _bn_samples, gradgrad=True),
    OpInfo("nn.functional.instance_norm", F.instance_norm, _in_samples, gradgrad=True),
    OpInfo("nn.functional.layer_norm", F.layer_norm, _ln_samples, gradgrad=True),
    OpInfo("nn.functional.group_norm", F.group_norm, _gn_samples, gradgrad=True),
    OpInfo("nn.functional.rms_norm", F.rms_norm, _rms_samples, gradgrad=True),
    OpInfo("nn.functional.local_response_norm", F.local_response_norm, _lrn_samples,
           gradgrad=True),
]
