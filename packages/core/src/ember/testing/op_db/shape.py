"""OpInfos for views, joining/splitting, rearranging, triangles, padding and diagonal ops."""

from __future__ import annotations

import numpy as np

import ember

from ..opinfo import OpInfo, Sample, arr


def _one(*shapes, **kwargs):
    """Samples of random arrays of ``shapes`` (one sample), extra positional args in ``args``."""
    extra = kwargs.pop("args", ())

    def samples(rng, dtype):
        return [Sample(tuple(arr(rng, s, dtype) for s in shapes) + tuple(extra), dict(kwargs))]

    return samples


def _many(*specs):
    """Several samples: each spec is (shapes, extra args, kwargs)."""

    def samples(rng, dtype):
        return [Sample(tuple(arr(rng, s, dtype) for s in shapes) + tuple(extra), dict(kw))
                for shapes, extra, kw in specs]

    return samples


OPS = [
    # views
    OpInfo("view", lambda x, s: x.view(s), _many([((2, 3),), ((3, 2),), {}],
                                              [((2, 3),), ((-1,),), {}]), gradgrad=True),
    OpInfo("reshape", lambda x, s: x.reshape(s), _one((2, 3, 2), args=((4, 3),))),
    OpInfo("reshape_noncontiguous", lambda x: x.t().reshape(-1), _one((2, 3))),
    OpInfo("permute", lambda x: x.permute(2, 0, 1), _one((2, 3, 2)), gradgrad=True),
    OpInfo("transpose", lambda x: x.transpose(0, -1), _one((2, 3, 2))),
    OpInfo("expand", lambda x: x.expand(2, 3, 4), _one((3, 1)), gradgrad=True),
    OpInfo("squeeze", lambda x: x.squeeze(1), _one((2, 1, 3))),
    OpInfo("unsqueeze", lambda x: x.t().unsqueeze(1), _one((2, 3))),
    OpInfo("flatten", lambda x: x.flatten(1), _one((2, 2, 3))),
    OpInfo("unflatten", lambda x: x.unflatten(1, (2, 3)), _one((2, 6))),
    OpInfo("as_strided", lambda x: x.as_strided((2, 2), (1, 2), 1), _one((6,))),
    OpInfo("narrow", lambda x: x.narrow(1, -3, 2), _one((2, 4)), gradgrad=True),
    OpInfo("select", lambda x: x.select(1, -1), _one((2, 3, 2))),
    OpInfo("movedim", lambda x: x.movedim((0, 1), (2, 0)), _one((2, 3, 4))),
    OpInfo("unfold", lambda x: x.unfold(1, 3, 2), _one((2, 7)), gradgrad=True),
    OpInfo("unfold_overlap", lambda x: x.unfold(0, 2, 1), _one((5, 2))),
    OpInfo("diagonal", lambda x: x.diagonal(1, 2, 0), _one((3, 2, 4)), gradgrad=True),
    OpInfo("diagonal_neg", lambda x: x.diagonal(-1), _one((4, 3))),
    OpInfo("diagonal_scatter", lambda x, s: ember.diagonal_scatter(x, s, 1), _one((3, 4), (3,))),
    OpInfo("contiguous", lambda x: x.t().contiguous(), _one((2, 3))),
    # joining and splitting
    OpInfo("cat", lambda a, b, c: ember.cat([a, b, c], 1), _one((2, 1), (2, 3), (2, 2)),
           gradgrad=True),
    OpInfo("cat_neg_dim", lambda a, b: ember.cat((a, b), -1), _one((2, 2, 1), (2, 2, 2))),
    OpInfo("stack", lambda a, b: ember.stack([a, b], 1), _one((2, 3), (2, 3)), gradgrad=True),
    OpInfo("hstack", lambda a, b: ember.hstack([a, b]), _many([((2,), (3,)), (), {}],
                                                            [((2, 1), (2, 2)), (), {}])),
    OpInfo("vstack", lambda a, b: ember.vstack([a, b]), _one((3,), (2, 3))),
    OpInfo("dstack", lambda a, b: ember.dstack([a, b]), _one((2, 3), (2, 3, 2))),
    OpInfo("column_stack", lambda a, b: ember.column_stack([a, b]), _one((3,), (3, 2))),
    OpInfo("split", lambda x: x.split(2, 1), _one((2, 5)), gradgrad=True),
    OpInfo("split_sizes", lambda x: ember.split(x, [1, 3, 1], 0), _one((5, 2))),
    OpInfo("chunk", lambda x: x.chunk(3, -1), _one((2, 7))),
    OpInfo("tensor_split", lambda x: x.tensor_split([1, 4], 1), _one((2, 6))),
    OpInfo("unbind", lambda x: x.unbind(1), _one((2, 3))),
    OpInfo("repeat", lambda x: x.repeat(2, 1, 3), _one((2, 2)), gradgrad=True),
    OpInfo("tile", lambda x: x.tile((2,)), _one((2, 3))),
    OpInfo("repeat_interleave", lambda x: x.repeat_interleave(2, dim=1), _one((2, 3))),
    OpInfo("repeat_interleave_tensor",
           lambda x, r: x.repeat_interleave(r, dim=0), _one((3, 2), args=(np.array([2, 0, 1]),))),
    OpInfo("flip", lambda x: x.flip((0, 2)), _one((2, 3, 2)), gradgrad=True),
    OpInfo("fliplr", lambda x: x.fliplr(), _one((2, 3))),
    OpInfo("flipud", lambda x: x.flipud(), _one((2, 3))),
    OpInfo("roll", lambda x: x.roll((1, -2), (0, 1)), _one((3, 4)), gradgrad=True),
    OpInfo("roll_flat", lambda x: x.roll(4), _one((2, 3))),
    OpInfo("rot90", lambda x: x.rot90(1, (0, 1)), _one((2, 3))),
    OpInfo("rot90_k3", lambda x: ember.rot90(x, -1, (1, 2)), _one((2, 2, 3))),
    OpInfo("tril", lambda x: x.tril(), _one((3, 4)), gradgrad=True),
    OpInfo("triu", lambda x: ember.triu(x, -1), _one((2, 3, 3))),
    OpInfo("meshgrid", lambda a, b: ember.meshgrid(a, b, indexing="xy"), _one((2,), (3,))),
    OpInfo("cartesian_prod", lambda a, b: ember.cartesian_prod(a, b), _one((2,), (3,))),
    OpInfo("atleast_3d", lambda x: ember.atleast_3d(x), _one((2, 3))),
    OpInfo("block_diag", lambda a, b: ember.block_diag(a, b), _one((2, 2), (1, 3))),
    OpInfo("pad_constant", lambda x: ember.pad(x, (1, 2, 0, 1), value=0.5), _one((2, 3))),
    OpInfo("pad_crop", lambda x: ember.pad(x, (-1, 2)), _one((2, 3))),
    OpInfo("pad_reflect", lambda x: ember.pad(x, (2, 1), mode="reflect"), _one((2, 4)),
           gradgrad=True),
    OpInfo("pad_replicate", lambda x: ember.pad(x, (1, 2, 2, 0), mode="replicate"),
           _one((1, 2, 3))),
    OpInfo("pad_circular", lambda x: ember.pad(x, (2, 1), mode="circular"), _one((1, 2, 3))),
    OpInfo("diag_vector", lambda x: ember.diag(x, -1), _one((3,))),
    OpInfo("diag_matrix", lambda x: ember.diag(x, 1), _one((3, 4))),
    OpInfo("diag_embed", lambda x: ember.diag_embed(x, 1, 0, 2), _one((2, 3)), gradgrad=True),
    OpInfo("diagflat", lambda x: ember.diagflat(x), _one((2, 2))),
]
