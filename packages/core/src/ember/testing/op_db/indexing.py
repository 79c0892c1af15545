"""OpInfos for indexing: getitem/setitem, gather/scatter, index_*, masks and flat indices."""

from __future__ import annotations

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr


def _s(shapes, *extra, **kwargs):
    """A samples function: random arrays of ``shapes`` followed by fixed ``extra`` args."""

    def samples(rng, dtype):
        return [Sample(tuple(arr(rng, s, dtype) for s in shapes) + extra, kwargs)]

    return samples


_IDX = np.array([[0, 2, 0], [1, 1, 3]])  # repeated targets in each row (for reductions)
_PERM = np.array([[2, 0, 1], [0, 3, 1]])  # distinct targets per row (for plain scatter)
_MASK = np.array([[True, False, True], [False, False, True]])


def _setitem(x, v):
    y = x.clone()
    y[1, ::2] = v * 2
    return y


def _setitem_adv(x, v):
    y = x * 1
    y[ember.tensor([0, 2]), 1:] = v
    return y


def _reduce(reduce, include_self):
    def fn(x, i, s):
        return x.scatter_reduce(1, i, s, reduce, include_self=include_self)

    return OpInfo(f"scatter_reduce_{reduce}_{'self' if include_self else 'noself'}", fn,
                  _scatter_sample, gradgrad=reduce in ("sum", "mean"))


def _scatter_sample(rng, dt):
    return [Sample((arr(rng, (2, 4), dt), _IDX, arr(rng, (2, 3), dt)))]


def _with_zero(rng, dt):
    src = arr(rng, (2, 3), dt)
    src[0, 0] = 0
    return [Sample((arr(rng, (2, 4), dt), _IDX, src))]


OPS = [
    OpInfo("getitem_basic", lambda x: x[1:, None, ..., ::2], _s([(3, 2, 5)]), gradgrad=True),
    OpInfo("getitem_int_tensor", lambda x, i: x[i, 1], _s([(4, 3)], np.array([[0, 3], [0, 0]])),
           gradgrad=True),
    OpInfo("getitem_bool", lambda x, m: x[m], _s([(2, 3)], _MASK)),
    OpInfo("getitem_list", lambda x: x[:, [2, 0, 2]], _s([(2, 3)])),
    OpInfo("setitem_basic", _setitem, _s([(3, 4), (2,)])),
    OpInfo("setitem_advanced", _setitem_adv, _s([(3, 3), (2, 2)])),
    OpInfo("index_put_accumulate", lambda x, v: x.index_put((ember.tensor([0, 0, 2]),), v, True),
           _s([(3, 2), (3, 2)]), gradgrad=True),
    OpInfo("gather", lambda x, i: x.gather(1, i), _s([(2, 4)], _IDX), gradgrad=True),
    OpInfo("gather_dim0", lambda x, i: ember.gather(x, 0, i), _s([(3, 2)], np.array([[2, 0]]))),
    OpInfo("scatter", lambda x, i, s: x.scatter(1, i, s),
           lambda rng, dt: [Sample((arr(rng, (2, 4), dt), _PERM, arr(rng, (2, 4), dt)))],
           gradgrad=True),
    OpInfo("scatter_value", lambda x, i: x.scatter(1, i, 1.5), _s([(2, 4)], _PERM)),
    OpInfo("scatter_add", lambda x, i, s: x.scatter_add(1, i, s),
           _scatter_sample, gradgrad=True),
    OpInfo("scatter_multiply", lambda x, i, s: x.scatter(1, i, s, reduce="multiply"), _with_zero),
    *[_reduce(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    OpInfo("scatter_reduce_prod_zero", lambda x, i, s: x.scatter_reduce(1, i, s, "prod"),
           _with_zero),
    OpInfo("index_select", lambda x: x.index_select(1, ember.tensor([2, 0, 2])), _s([(2, 3)]),
           gradgrad=True),
    OpInfo("index_add", lambda x, s: x.index_add(0, ember.tensor([1, 0, 1]), s, alpha=2),
           _s([(2, 3), (3, 3)]), gradgrad=True),
    OpInfo("index_copy", lambda x, s: x.index_copy(1, ember.tensor([2, 0]), s),
           _s([(2, 3), (2, 2)])),
    OpInfo("index_fill", lambda x: x.index_fill(1, ember.tensor([0, 2]), -1.0), _s([(2, 3)])),
    OpInfo("masked_fill", lambda x, m: x.masked_fill(m, 3.0), _s([(2, 3)], _MASK),
           gradgrad=True),
    OpInfo("masked_fill_tensor_value", lambda x, v, m: x.masked_fill(m, v),
           _s([(2, 3), ()], _MASK)),
    OpInfo("masked_select", lambda x, m: x.masked_select(m), _s([(3, 2, 3)], _MASK)),
    OpInfo("masked_scatter", lambda x, s, m: x.masked_scatter(m, s), _s([(2, 3), (5,)], _MASK)),
    OpInfo("take", lambda x: x.take(ember.tensor([[5, 0], [2, 2]])), _s([(2, 3)])),
    OpInfo("take_along_dim", lambda x, i: x.take_along_dim(i, 1),
           _s([(2, 3)], np.array([[2, 0], [1, 1]]))),
    OpInfo("take_along_dim_broadcast", lambda x, i: ember.take_along_dim(x, i, 0),
           _s([(3, 1, 2)], np.array([[[2], [0]]]))),
    OpInfo("put", lambda x, s: x.put(ember.tensor([4, 0, 4]), s, accumulate=True),
           _s([(2, 3), (3,)])),
]
