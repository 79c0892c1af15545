"""OpInfos of the loss functions (``ember.nn.functional.loss``).

Small shapes; targets (class indices, labels in {1, -1}, lengths) are not differentiated
(``grad_args``); inputs stay away from the kinks of the hinge-type losses. ``ctc_loss`` is
exercised after a ``log_softmax``, as it is used (its gradient, like PyTorch's, assumes that).
"""

from __future__ import annotations

import numpy as np

import ember.nn.functional as F

from ..opinfo import OpInfo, Sample, arr, positive

REDUCTIONS = ("mean", "sum", "none")


def _classes(rng, shape, c):
    return rng.integers(0, c, shape).astype(np.int64)


def _signs(rng, shape, dtype):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(dtype)


def _away(rng, shape, dtype, low=0.2, high=2.0):
    """Magnitudes in [low, high) with random signs: no kinks at 0."""
    return (positive(rng, shape, dtype, low, high) * _signs(rng, shape, dtype)).astype(dtype)


def _pair(rng, dtype, **kwargs):
    return [Sample((arr(rng, (3, 4), dtype), arr(rng, (3, 4), dtype)), dict(kwargs, reduction=r))
            for r in REDUCTIONS]


def _regression(rng, dtype):
    return _pair(rng, dtype)


def _smooth(name, key):
    def samples(rng, dtype):
        x = _away(rng, (3, 4), dtype, 0.1, 3.0)
        t = np.zeros((3, 4), dtype)
        x[np.abs(np.abs(x) - 1.0) < 0.05] += 0.1  # away from the switch point |d| = 1
        return [Sample((x, t), {"reduction": r, key: 1.0}, grad_args=(0,)) for r in REDUCTIONS] \
            + [Sample((x, t), {key: 0.5}, grad_args=(0,))]

    return samples


def _ce_samples(rng, dtype):
    x, t = arr(rng, (4, 5), dtype), _classes(rng, (4,), 5)
    t_ign = t.copy()
    t_ign[1] = -100
    w = positive(rng, (5,), dtype)
    x4, t4 = arr(rng, (2, 3, 2, 2), dtype), _classes(rng, (2, 2, 2), 3)
    probs = positive(rng, (4, 5), dtype)
    probs = (probs / probs.sum(1, keepdims=True)).astype(dtype)
    return [Sample((x, t), {"reduction": r}) for r in REDUCTIONS] + [
        Sample((x, t_ign, w), {"label_smoothing": 0.2}, grad_args=(0,)),
        Sample((x, t_ign), {"ignore_index": -100, "reduction": "sum", "label_smoothing": 0.1}),
        Sample((x4, t4, positive(rng, (3,), dtype)), {}, grad_args=(0,)),
        Sample((arr(rng, (5,), dtype), np.array(2, np.int64)), {}),
        Sample((x, probs), {"label_smoothing": 0.1}, grad_args=(0,)),
        Sample((x, probs, w), {"reduction": "none"}, grad_args=(0,))]


def _nll_samples(rng, dtype):
    x, t = arr(rng, (4, 5), dtype), _classes(rng, (4,), 5)
    t[0] = 1
    return [Sample((x, t), {"reduction": r}) for r in REDUCTIONS] + [
        Sample((x, t, positive(rng, (5,), dtype)), {"ignore_index": 1}, grad_args=(0,)),
        Sample((arr(rng, (2, 3, 2), dtype), _classes(rng, (2, 2), 3)), {})]


def _bce_samples(rng, dtype):
    p = positive(rng, (3, 4), dtype, 0.05, 0.95)
    t = positive(rng, (3, 4), dtype, 0.0, 1.0)
    return [Sample((p, t), {"reduction": r}, grad_args=(0,)) for r in REDUCTIONS] + [
        Sample((p, t, positive(rng, (4,), dtype)), {}, grad_args=(0,))]


def _bce_logits_samples(rng, dtype):
    x, t = arr(rng, (3, 4), dtype, -4, 4), positive(rng, (3, 4), dtype, 0.0, 1.0)
    w, pw = positive(rng, (4,), dtype), positive(rng, (4,), dtype)
    return [Sample((x, t), {"reduction": r}, grad_args=(0,)) for r in REDUCTIONS] + [
        Sample((x, t, w), {"pos_weight": pw, "reduction": "none"}, grad_args=(0,))]


def _kl_samples(rng, dtype):
    logp = np.log(positive(rng, (3, 4), dtype, 0.1, 1.0)).astype(dtype)
    t = positive(rng, (3, 4), dtype, 0.05, 1.0)
    return [Sample((logp, t), {"reduction": r}, grad_args=(0,))
            for r in ("batchmean", "sum", "none")] + [
        Sample((logp, np.log(t).astype(dtype)), {"reduction": "batchmean", "log_target": True},
               grad_args=(0,))]


def _labels_samples(rng, dtype):
    return [Sample((arr(rng, (3, 4), dtype), _signs(rng, (3, 4), dtype)), {"reduction": r},
                   grad_args=(0,)) for r in REDUCTIONS]


def _multilabel_soft(rng, dtype):
    t = (rng.random((3, 4)) < 0.5).astype(dtype)
    return [Sample((arr(rng, (3, 4), dtype), t), {"reduction": r}, grad_args=(0,))
            for r in REDUCTIONS] + [
        Sample((arr(rng, (3, 4), dtype), t, positive(rng, (4,), dtype)), {}, grad_args=(0,))]


def _multilabel_margin(rng, dtype):
    # well-separated scores keep every margin away from its kink
    x = (np.arange(12).reshape(3, 4) * 0.37 % 2.3).astype(dtype)
    t = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 0, 0, 0]], np.int64)
    return [Sample((x, t), {"reduction": r}, grad_args=(0,)) for r in REDUCTIONS]


def _multi_margin(rng, dtype):
    x = (np.arange(12).reshape(3, 4) * 0.41 % 1.9).astype(dtype)
    t = np.array([0, 3, 1], np.int64)
    return [Sample((x, t), {"reduction": r}, grad_args=(0,)) for r in REDUCTIONS] + [
        Sample((x, t, 2, 0.7, positive(rng, (4,), dtype)), {}, grad_args=(0,))]


def _ranking(rng, dtype):
    x1, x2 = arr(rng, (5,), dtype), arr(rng, (5,), dtype)
    return [Sample((x1, x2, _signs(rng, (5,), dtype)), {"margin": 0.1, "reduction": r},
                   grad_args=(0, 1)) for r in REDUCTIONS]


def _hinge(rng, dtype):
    x = _away(rng, (3, 4), dtype, 0.1, 0.9)
    return [Sample((x, _signs(rng, (3, 4), dtype)), {"reduction": r}, grad_args=(0,))
            for r in REDUCTIONS]


def _cosine(rng, dtype):
    x1, x2 = arr(rng, (3, 4), dtype), arr(rng, (3, 4), dtype)
    return [Sample((x1, x2, _signs(rng, (3,), dtype)), {"margin": -0.5, "reduction": r},
                   grad_args=(0, 1)) for r in REDUCTIONS]


def _triplet(rng, dtype):
    a, p, n = (arr(rng, (3, 4), dtype) for _ in range(3))
    return [Sample((a, p, n), {"margin": 5.0, "reduction": r}) for r in REDUCTIONS] + [
        Sample((a, p, n), {"margin": 5.0, "p": 1, "swap": True})]


def _poisson(rng, dtype):
    x, t = arr(rng, (3, 4), dtype, -1, 1), positive(rng, (3, 4), dtype, 0.0, 3.0)
    return [Sample((x, t), {"reduction": r}, grad_args=(0,)) for r in REDUCTIONS] + [
        Sample((positive(rng, (3, 4), dtype), t), {"log_input": False, "full": True},
               grad_args=(0,))]


def _gaussian(rng, dtype):
    x, t, v = arr(rng, (3, 4), dtype), arr(rng, (3, 4), dtype), positive(rng, (3, 4), dtype)
    return [Sample((x, t, v), {"reduction": r}, grad_args=(0, 2)) for r in REDUCTIONS] + [
        Sample((x, t, positive(rng, (3,), dtype)), {"full": True}, grad_args=(0, 2))]


def _ctc(logits, targets, input_lengths, target_lengths, **kwargs):
    return F.ctc_loss(F.log_softmax(logits, 2), targets, input_lengths, target_lengths, **kwargs)


def _ctc_samples(rng, dtype):
    logits = arr(rng, (6, 2, 4), dtype)
    padded = np.array([[1, 2, 2], [3, 1, 0]], np.int64)
    concat = np.array([1, 2, 2, 3, 1], np.int64)
    return [Sample((logits, padded, [6, 5], [3, 2]), {"reduction": r}, grad_args=(0,))
            for r in REDUCTIONS] + [
        Sample((logits, concat, [6, 6], [3, 2]), {"reduction": "sum"}, grad_args=(0,)),
        Sample((logits, padded, [6, 4], [3, 2]), {"blank": 0, "reduction": "mean"},
               grad_args=(0,))]


OPS = [
    OpInfo("nn.functional.l1_loss", F.l1_loss, _regression),
    OpInfo("nn.functional.mse_loss", F.mse_loss, _regression, gradgrad=True),
    OpInfo("nn.functional.smooth_l1_loss", F.smooth_l1_loss, _smooth("smooth_l1", "beta"),
           gradgrad=True),
    OpInfo("nn.functional.huber_loss", F.huber_loss, _smooth("huber", "delta"), gradgrad=True),
    OpInfo("nn.functional.cross_entropy", F.cross_entropy, _ce_samples, gradgrad=True),
    OpInfo("nn.functional.nll_loss", F.nll_loss, _nll_samples, gradgrad=True),
    OpInfo("nn.functional.binary_cross_entropy", F.binary_cross_entropy, _bce_samples,
           gradgrad=True),
    OpInfo("nn.functional.binary_cross_entropy_with_logits",
           F.binary_cross_entropy_with_logits, _bce_logits_samples, gradgrad=True),
    OpInfo("nn.functional.kl_div", F.kl_div, _kl_samples, gradgrad=True),
    OpInfo("nn.functional.soft_margin_loss", F.soft_margin_loss, _labels_samples,
           gradgrad=True),
    OpInfo("nn.functional.multilabel_soft_margin_loss", F.multilabel_soft_margin_loss,
           _multilabel_soft, gradgrad=True),
    OpInfo("nn.functional.multilabel_margin_loss", F.multilabel_margin_loss,
           _multilabel_margin),
    OpInfo("nn.functional.multi_margin_loss", F.multi_margin_loss, _multi_margin),
    OpInfo("nn.functional.margin_ranking_loss", F.margin_ranking_loss, _ranking),
    OpInfo("nn.functional.hinge_embedding_loss", F.hinge_embedding_loss, _hinge),
    OpInfo("nn.functional.cosine_embedding_loss", F.cosine_embedding_loss, _cosine,
           gradgrad=True),
    OpInfo("nn.functional.triplet_margin_loss", F.triplet_margin_loss, _triplet),
    OpInfo("nn.functional.poisson_nll_loss", F.poisson_nll_loss, _poisson, gradgrad=True),
    OpInfo("nn.functional.gaussian_nll_loss", F.gaussian_nll_loss, _gaussian, gradgrad=True),
    OpInfo("nn.functional.ctc_loss", _ctc, _ctc_samples, atol32=1e-4),
]
