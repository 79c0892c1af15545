"""OpInfos of the basic ``ember.nn.functional`` ops: activations, dropout, linear/bilinear,
embeddings, distances, normalisation helpers and pixel shuffles.

Samples are small so that gradcheck stays cheap. Piecewise activations are sampled in a range
wide enough to cover every piece; their kinks are measure-zero points of a continuous draw.
Random ops (dropout, rrelu in training) reseed the default generator inside the call, so the
device, the CPU and every gradcheck evaluation draw the same mask.
"""

from __future__ import annotations

import numpy as np

import ember
import ember.nn.functional as F

from ..opinfo import OpInfo, Sample, arr, positive

FLOATS = ("float32", "float64")


def _unary(low=-2.0, high=2.0, shapes=((3, 4), ()), **kwargs):
    def samples(rng, dtype):
        return [Sample((arr(rng, s, dtype, low, high),), dict(kwargs)) for s in shapes]

    return samples


def _act(name, fn, low=-2.0, high=2.0, gradgrad=True, shapes=((3, 4), ()), **kwargs):
    return OpInfo(name, fn, _unary(low, high, shapes, **kwargs), FLOATS, gradgrad=gradgrad)


def _seeded(fn, seed=1234):
    def call(*args, **kwargs):
        ember.manual_seed(seed)
        return fn(*args, **kwargs)

    return call


def _linear_samples(rng, dtype):
    return [Sample((arr(rng, (2, 3, 4), dtype), arr(rng, (5, 4), dtype), arr(rng, (5,), dtype))),
            Sample((arr(rng, (3, 4), dtype), arr(rng, (2, 4), dtype))),
            Sample((arr(rng, (4,), dtype), arr(rng, (3, 4), dtype), arr(rng, (3,), dtype)))]


def _bilinear_samples(rng, dtype):
    return [Sample((arr(rng, (3, 2), dtype), arr(rng, (3, 4), dtype), arr(rng, (5, 2, 4), dtype),
                    arr(rng, (5,), dtype))),
            Sample((arr(rng, (2, 2, 3), dtype), arr(rng, (2, 2, 2), dtype),
                    arr(rng, (2, 3, 2), dtype)))]


def _embedding_samples(**kwargs):
    def samples(rng, dtype):
        idx = rng.integers(0, 6, (2, 4)).astype(np.int64)
        idx[0, :2] = [1, 1]  # a repeated index: its gradients add up
        return [Sample((idx, arr(rng, (6, 3), dtype)), dict(kwargs), grad_args=(1,)),
                Sample((idx[0], arr(rng, (6, 3), dtype)), dict(kwargs), grad_args=(1,))]

    return samples


def _bag_samples(mode, psw=False, padding_idx=None):
    def samples(rng, dtype):
        idx = np.array([1, 2, 4, 4, 3, 2, 0, 5], np.int64)
        offsets = np.array([0, 2, 2, 5], np.int64)  # bag 1 is empty
        w = arr(rng, (6, 3), dtype)
        kw = {"mode": mode, "padding_idx": padding_idx}
        if psw:
            weights = arr(rng, (8,), dtype)
            return [Sample((idx, w, offsets, weights), kw, grad_args=(1, 3))]
        out = [Sample((idx, w, offsets), kw, grad_args=(1,)),
               Sample((idx.reshape(2, 4), w, None), kw, grad_args=(1,))]
        return out

    return samples


def _bag(idx, w, offsets, psw=None, **kw):
    return F.embedding_bag(idx, w, offsets, per_sample_weights=psw, **kw)


def _pair(shape_a, shape_b, low=-2.0, high=2.0):
    def samples(rng, dtype):
        return [Sample((arr(rng, shape_a, dtype, low, high), arr(rng, shape_b, dtype, low, high)))]

    return samples


def _pixel_samples(rng, dtype):
    return [Sample((arr(rng, (2, 8, 2, 3), dtype),)), Sample((arr(rng, (4, 2, 2), dtype),))]


OPS = [
    # ReLU family
    _act("nn.relu", lambda x: F.relu(x), gradgrad=True),
    _act("nn.relu6", lambda x: F.relu6(x), -8.0, 8.0),
    _act("nn.leaky_relu", lambda x: F.leaky_relu(x, 0.2)),
    _act("nn.hardtanh", lambda x: F.hardtanh(x, -1.5, 0.5)),
    _act("nn.threshold", lambda x: F.threshold(x, 0.3, -2.0)),
    _act("nn.rrelu_eval", lambda x: F.rrelu(x, 0.1, 0.3, training=False)),
    _act("nn.rrelu_train", _seeded(lambda x: F.rrelu(x, 0.1, 0.3, training=True))),
    OpInfo("nn.prelu", lambda x, w: F.prelu(x, w),
           lambda rng, dt: [Sample((arr(rng, (2, 3, 4), dt), positive(rng, (3,), dt, 0.1, 0.5))),
                            Sample((arr(rng, (3, 4), dt), positive(rng, (1,), dt, 0.1, 0.5)))],
           FLOATS, gradgrad=True),
    # exponential family
    _act("nn.elu", lambda x: F.elu(x, 1.3)),
    _act("nn.selu", lambda x: F.selu(x)),
    _act("nn.celu", lambda x: F.celu(x, 0.7)),
    _act("nn.softplus", lambda x: F.softplus(x, 2.0, 3.0), -3.0, 3.0),
    _act("nn.logsigmoid", lambda x: F.logsigmoid(x), -6.0, 6.0),
    _act("nn.mish", lambda x: F.mish(x)),
    _act("nn.gelu", lambda x: F.gelu(x), -3.0, 3.0),
    _act("nn.gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), -3.0, 3.0),
    _act("nn.silu", lambda x: F.silu(x), -4.0, 4.0),
    # hard / shrink / misc
    _act("nn.hardsigmoid", lambda x: F.hardsigmoid(x), -5.0, 5.0),
    _act("nn.hardswish", lambda x: F.hardswish(x), -5.0, 5.0),
    _act("nn.softsign", lambda x: F.softsign(x)),
    _act("nn.tanhshrink", lambda x: F.tanhshrink(x)),
    _act("nn.hardshrink", lambda x: F.hardshrink(x, 0.7)),
    _act("nn.softshrink", lambda x: F.softshrink(x, 0.7)),
    _act("nn.glu", lambda x: F.glu(x, 1), shapes=((3, 4),)),
    _act("nn.glu_dim0", lambda x: F.glu(x, 0), shapes=((4, 3),)),
    # softmax family (F-level: dtype and implicit-dim forms)
    _act("nn.softmin", lambda x: F.softmin(x, 1), shapes=((3, 4),)),
    _act("nn.softmax_dtype", lambda x: F.softmax(x, -1, dtype=ember.float64), shapes=((3, 4),)),
    _act("nn.log_softmax", lambda x: F.log_softmax(x, 0), shapes=((3, 4),)),
    # dropout (reseeded: the same mask everywhere)
    _act("nn.dropout", _seeded(lambda x: F.dropout(x, 0.4)), gradgrad=False),
    _act("nn.dropout_eval", lambda x: F.dropout(x, 0.4, training=False), gradgrad=False),
    _act("nn.dropout2d", _seeded(lambda x: F.dropout2d(x, 0.5)), shapes=((2, 3, 2, 2),),
         gradgrad=False),
    _act("nn.dropout1d_unbatched", _seeded(lambda x: F.dropout1d(x, 0.5)), shapes=((3, 4),),
         gradgrad=False),
    _act("nn.alpha_dropout", _seeded(lambda x: F.alpha_dropout(x, 0.3, training=True)),
         gradgrad=False),
    _act("nn.feature_alpha_dropout",
         _seeded(lambda x: F.feature_alpha_dropout(x, 0.3, training=True)),
         shapes=((2, 3, 4),), gradgrad=False),
    # linear maps
    OpInfo("nn.linear", lambda x, w, b=None: F.linear(x, w, b), _linear_samples, FLOATS,
           gradgrad=True),
    OpInfo("nn.bilinear", lambda a, b, w, bias=None: F.bilinear(a, b, w, bias),
           _bilinear_samples, FLOATS, gradgrad=True),
    # embeddings
    OpInfo("nn.embedding", lambda i, w, **k: F.embedding(i, w, **k), _embedding_samples(),
           FLOATS, gradgrad=True),
    # padding_idx / scale_grad_by_freq change the gradient on purpose (not the derivative):
    # forward only here; tests/core/test_nn_basic.py checks their gradients
    OpInfo("nn.embedding_padding_scale", lambda i, w, **k: F.embedding(i, w, **k),
           _embedding_samples(padding_idx=1, scale_grad_by_freq=True), FLOATS, grad=False),
    OpInfo("nn.embedding_bag_sum", _bag, _bag_samples("sum"), FLOATS),
    OpInfo("nn.embedding_bag_mean_pad", _bag, _bag_samples("mean", padding_idx=4), FLOATS),
    OpInfo("nn.embedding_bag_max", _bag, _bag_samples("max"), FLOATS),
    OpInfo("nn.embedding_bag_weights", _bag, _bag_samples("sum", psw=True), FLOATS),
    OpInfo("nn.one_hot", lambda i: F.one_hot(i, 5),
           lambda rng, dt: [Sample((rng.integers(0, 5, (2, 3)).astype(np.int64),))],
           ("int64",), grad=False),
    # normalisation and distances
    _act("nn.normalize", lambda x: F.normalize(x, 2.0, 1), shapes=((3, 4),)),
    _act("nn.normalize_p1", lambda x: F.normalize(x, 1.0, 0), shapes=((3, 4),)),
    OpInfo("nn.cosine_similarity", lambda a, b: F.cosine_similarity(a, b, 1),
           _pair((3, 4), (1, 4)), FLOATS, gradgrad=True),
    OpInfo("nn.pairwise_distance", lambda a, b: F.pairwise_distance(a, b),
           _pair((3, 4), (3, 4)), FLOATS, gradgrad=True),
    OpInfo("nn.pairwise_distance_p1", lambda a, b: F.pairwise_distance(a, b, 1.0, keepdim=True),
           _pair((3, 4), (3, 4)), FLOATS),
    _act("nn.pdist", lambda x: F.pdist(x), shapes=((4, 3),)),
    _act("nn.pdist_p3", lambda x: F.pdist(x, 3), shapes=((4, 3),), gradgrad=False),
    # pixel shuffles
    OpInfo("nn.pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), _pixel_samples, FLOATS),
    OpInfo("nn.pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2),
           lambda rng, dt: [Sample((arr(rng, (2, 2, 4, 6), dt),))], FLOATS),
]
