"""Losses: PyTorch's fixtures (values and gradients, float64 and float32) — cross-entropy
through the fused CPU kernel and through its decomposition —, NumPy float64 references for the
losses the fixtures don't cover, gradcheck/gradgradcheck via the OpInfos, errors, the legacy
``size_average``/``reduce`` arguments and the modules."""

import math
import warnings

import numpy as np
import pytest
from _layer_fixtures import check_case
from _opdb_runner import check_opinfo

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing.op_db import nn_loss as loss_db

DTYPES = ("float64", "float32")
T = ember.tensor

# ---- fixtures (PyTorch 2.13) --------------------------------------------------------------------

CE_CASES = {
    "mean": {}, "sum": {"reduction": "sum"}, "none": {"reduction": "none"}, "weight": {},
    "label_smoothing": {"label_smoothing": 0.1}, "ignore_index_default": {},
    "ignore_index_custom": {"ignore_index": 2, "reduction": "none"},
    "weight_ls_ignore": {"ignore_index": 1, "label_smoothing": 0.2},
    "weight_ls_sum": {"label_smoothing": 0.2, "reduction": "sum"}, "prob_target": {},
    "prob_target_ls_weight": {"label_smoothing": 0.1}, "spatial": {},
}


@pytest.mark.parametrize("fn", [F.cross_entropy, F.cross_entropy.decomposition],
                         ids=["fused", "decomposition"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy_fixture(fn, case, dtype):
    check_case("cross_entropy", case, dtype,
               lambda input, target, weight=None: fn(input, target, weight=weight,
                                                     **CE_CASES[case]),
               no_grad=("target", "weight"))


NLL_CASES = {"mean": {}, "sum": {"reduction": "sum"}, "none": {"reduction": "none"},
             "weight_ignore": {"ignore_index": -100}, "spatial": {}}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(NLL_CASES))
def test_nll_loss_fixture(case, dtype):
    check_case("nll_loss", case, dtype,
               lambda input, target, weight=None: F.nll_loss(input, target, weight=weight,
                                                             **NLL_CASES[case]),
               no_grad=("weight",))


SIMPLE = {
    "bce_with_logits": (lambda input, target, weight=None, pos_weight=None, **kw:
                        F.binary_cross_entropy_with_logits(input, target, weight,
                                                           pos_weight=pos_weight, **kw),
                        {"mean": {}, "sum": {"reduction": "sum"}, "none": {"reduction": "none"},
                         "weight": {}, "pos_weight": {},
                         "weight_pos_weight_none": {"reduction": "none"}}),
    "kl_div": (F.kl_div, {"batchmean": {"reduction": "batchmean"}, "sum": {"reduction": "sum"},
                          "mean": {"reduction": "mean"}, "none": {"reduction": "none"},
                          "log_target": {"reduction": "batchmean", "log_target": True},
                          "target_zeros": {"reduction": "sum"}}),
    "mse_loss": (F.mse_loss, {r: {"reduction": r} for r in ("mean", "sum", "none")}),
    "smooth_l1_loss": (F.smooth_l1_loss, {"beta1_mean": {"beta": 1.0},
                                          "beta05_sum": {"reduction": "sum", "beta": 0.5},
                                          "beta0_none": {"reduction": "none", "beta": 0.0}}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("file,case", [(f, c) for f, (_, cases) in SIMPLE.items() for c in cases])
def test_pointwise_loss_fixtures(file, case, dtype):
    fn, cases = SIMPLE[file]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div 'mean' warns, like PyTorch
        check_case(file, case, dtype, lambda **kw: fn(**kw, **cases[case]),
                   no_grad=("target", "weight", "pos_weight"))


CTC_CASES = {"mean_from_logits": (0, "mean", False), "sum_concat_targets": (0, "sum", False),
             "none_repeats": (0, "none", False), "zero_infinity": (0, "none", True),
             "blank_last": (3, "mean", False), "leaf_log_probs": (0, "mean", False)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CTC_CASES))
def test_ctc_loss_fixture(case, dtype):
    blank, reduction, zero_inf = CTC_CASES[case]

    def call(targets, input_lengths, target_lengths, logits=None, log_probs=None):
        lp = F.log_softmax(logits, dim=2) if logits is not None else log_probs
        return F.ctc_loss(lp, targets, input_lengths, target_lengths, blank=blank,
                          reduction=reduction, zero_infinity=zero_inf)

    tol = None if dtype == "float64" else {"rtol": 1e-4, "atol": 1e-4}
    check_case("ctc_loss", case, dtype, call, tol=tol)


# ---- NumPy float64 references ---------------------------------------------------------------

RNG = np.random.default_rng(0)
X, Y = RNG.normal(size=(4, 5)), RNG.normal(size=(4, 5))
LABELS = np.where(RNG.random((4, 5)) < 0.5, -1.0, 1.0)


def np_log_sigmoid(z):
    return -np.logaddexp(0, -z)


REFERENCES = {
    "l1": (lambda: F.l1_loss(T(X), T(Y), reduction="none"), np.abs(X - Y)),
    "huber": (lambda: F.huber_loss(T(X), T(Y), reduction="none", delta=0.7),
              np.where(np.abs(X - Y) < 0.7, 0.5 * (X - Y) ** 2, 0.7 * (np.abs(X - Y) - 0.35))),
    "soft_margin": (lambda: F.soft_margin_loss(T(X), T(LABELS), reduction="none"),
                    np.log1p(np.exp(-LABELS * X))),
    "multilabel_soft_margin": (
        lambda: F.multilabel_soft_margin_loss(T(X), T((LABELS > 0) * 1.0), reduction="none"),
        -((LABELS > 0) * np_log_sigmoid(X) + (LABELS < 0) * np_log_sigmoid(-X)).mean(1)),
    "bce": (lambda: F.binary_cross_entropy(T(1 / (1 + np.exp(-X))), T((Y > 0) * 1.0),
                                           reduction="none"),
            -((Y > 0) * np_log_sigmoid(X) + (Y <= 0) * np_log_sigmoid(-X))),
    "hinge_embedding": (lambda: F.hinge_embedding_loss(T(X), T(LABELS), margin=0.5,
                                                       reduction="none"),
                        np.where(LABELS == 1, X, np.maximum(0, 0.5 - X))),
    "margin_ranking": (lambda: F.margin_ranking_loss(T(X), T(Y), T(LABELS), margin=0.2,
                                                     reduction="none"),
                       np.maximum(0, -LABELS * (X - Y) + 0.2)),
    "poisson_log": (lambda: F.poisson_nll_loss(T(X), T(np.abs(Y) * 3), reduction="none"),
                    np.exp(X) - np.abs(Y) * 3 * X),
    "gaussian": (lambda: F.gaussian_nll_loss(T(X), T(Y), T(np.abs(Y) + 0.1), full=True,
                                             reduction="none"),
                 0.5 * (np.log(np.abs(Y) + 0.1) + (X - Y) ** 2 / (np.abs(Y) + 0.1)) +
                 0.5 * math.log(2 * math.pi)),
    "cosine_embedding": (
        lambda: F.cosine_embedding_loss(T(X), T(Y), T(LABELS[:, 0]), margin=0.1,
                                        reduction="none"),
        np.where(LABELS[:, 0] == 1,
                 1 - (X * Y).sum(1) / np.sqrt((X * X).sum(1) * (Y * Y).sum(1)),
                 np.maximum(0, (X * Y).sum(1) / np.sqrt((X * X).sum(1) * (Y * Y).sum(1)) - 0.1))),
    "triplet": (lambda: F.triplet_margin_loss(T(X), T(Y), T(X[::-1].copy()), margin=1.5,
                                              reduction="none"),
                np.maximum(0, 1.5 + np.linalg.norm(X - Y + 1e-6, axis=1) -
                           np.linalg.norm(X - X[::-1] + 1e-6, axis=1))),
}


def np_multi_margin(x, y, p, margin, w):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):  # the definition, one sample at a time
        for j in range(c):
            if j != y[i]:
                out[i] += max(0, margin - x[i, y[i]] + x[i, j]) ** p * w[y[i]]
    return out / c


def np_multilabel_margin(x, y):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        targets = []
        for v in y[i]:
            if v < 0:
                break
            targets.append(v)
        for j in targets:
            for k in set(range(c)) - set(targets):
                out[i] += max(0, 1 - (x[i, j] - x[i, k]))
    return out / c


YC = np.array([0, 4, 2, 1])
W5 = RNG.uniform(0.5, 2, 5)
MLT = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 3, 2, 1, 0], [-1, 0, 1, 2, 3]])
REFERENCES.update({
    "multi_margin_p2": (lambda: F.multi_margin_loss(T(X), T(YC), p=2, margin=0.8, weight=T(W5),
                                                    reduction="none"),
                        np_multi_margin(X, YC, 2, 0.8, W5)),
    "multilabel_margin": (lambda: F.multilabel_margin_loss(T(X), T(MLT), reduction="none"),
                          np_multilabel_margin(X, MLT)),
    "poisson_full": (lambda: F.poisson_nll_loss(T(np.abs(X)), T(np.abs(Y) * 3), log_input=False,
                                                full=True, reduction="none"),
                     np.abs(X) - np.abs(Y) * 3 * np.log(np.abs(X) + 1e-8) +
                     np.where(np.abs(Y) * 3 > 1, (np.abs(Y) * 3) * np.log(np.abs(Y) * 3) -
                              np.abs(Y) * 3 + 0.5 * np.log(2 * np.pi * np.abs(Y) * 3), 0)),
})


@pytest.mark.parametrize("name", list(REFERENCES))
def test_losses_match_numpy(name):
    call, ref = REFERENCES[name]
    np.testing.assert_allclose(call().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_reductions_of_every_loss_are_consistent():
    for name, (call, _) in REFERENCES.items():
        none = call().numpy()
        assert none.shape != ()
        assert np.isfinite(none).all(), name


def test_cross_entropy_unbatched_and_bce_clamp():
    x = RNG.normal(size=5)
    out = F.cross_entropy(T(x), T(3))
    np.testing.assert_allclose(out.item(), -(x[3] - np.log(np.exp(x).sum())), rtol=1e-12)
    # log(0) is clamped at -100, like PyTorch: a finite loss
    assert F.binary_cross_entropy(T([0.0, 1.0]), T([1.0, 0.0]), reduction="sum").item() == 200


def test_nll_loss_all_ignored_mean_is_nan():
    out = F.nll_loss(T(X), T(np.full(4, -100)))
    assert math.isnan(out.item())


# (300, 700): the CPU kernels work block by block of rows; several blocks, the last partial
@pytest.mark.parametrize("shape", [(64, 10), (8, 7, 3, 5), (300, 700)])
def test_fused_cross_entropy_equals_decomposition(shape):
    rng = np.random.default_rng(7)
    x0 = rng.normal(size=shape) * 4
    c = shape[1]
    t = rng.integers(0, c, (shape[0],) + shape[2:])
    t.reshape(-1)[::5] = -100
    w = rng.uniform(0.5, 2, c)
    for kwargs in ({}, {"weight": T(w)}, {"label_smoothing": 0.3, "weight": T(w)},
                   {"reduction": "none", "label_smoothing": 0.1}, {"reduction": "sum"}):
        results = []
        for fn in (F.cross_entropy, F.cross_entropy.decomposition):
            x = T(x0, requires_grad=True)
            out = fn(x, T(t), **kwargs)
            out.backward(ember.ones_like(out))
            results.append((out.detach().numpy(), x.grad.numpy()))
        for a, e in zip(*results):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_ctc_gradient_through_log_softmax_is_the_true_gradient():
    rng = np.random.default_rng(8)
    logits = T(rng.normal(size=(5, 2, 4)), requires_grad=True)
    targets = T(np.array([[1, 2], [3, 3]]))

    def fn(z):
        return F.ctc_loss(F.log_softmax(z, 2), targets, [5, 5], [2, 2], reduction="sum")

    assert ember.autograd.gradcheck(fn, (logits,))


@pytest.mark.parametrize("op", loss_db.OPS, ids=lambda o: o.name)
def test_opinfo_gradcheck_and_gradgradcheck(op):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_opinfo(op)


# ---- errors ---------------------------------------------------------------------------------


def test_nll_and_cross_entropy_errors():
    x, t = T(X), T(np.array([0, 5, 1, 2]))
    for fn in (F.nll_loss, F.cross_entropy, F.cross_entropy.decomposition):
        with pytest.raises(IndexError, match="Target 5 is out of bounds."):
            fn(x, t)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)\."):
        F.cross_entropy(x, T(np.array([0, 1, 2])))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 "
                                           r"classes or no classes but got weight tensor of "
                                           r"shape: \[4\]"):
        F.nll_loss(x, T(YC), weight=ember.ones(4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.nll_loss(x, T(np.zeros(4, np.float32)))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.mse_loss(x, x, reduction="bad")


def test_other_loss_errors():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([1.5]), T([1.0]))
    with pytest.raises(ValueError, match=r"Target size \(.*\[2\]\)\) must be the same as "
                                         r"input size \(.*\[3\]\)\)"):
        F.binary_cross_entropy_with_logits(ember.zeros(3), ember.zeros(2))
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values"):
        F.smooth_l1_loss(ember.zeros(2), ember.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(ember.zeros(2), ember.zeros(2), T([1.0, -1.0]))
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 4, "
                                           "but got value 5"):
        F.ctc_loss(ember.zeros(4, 1, 3), T([[1]]), [5], [1])
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(ember.zeros(3, 1), ember.zeros(3))


# ---- legacy arguments and modules -----------------------------------------------------------


def test_legacy_size_average_and_reduce():
    x, y = T(X), T(Y)
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        out = F.mse_loss(x, y, size_average=False)
    np.testing.assert_allclose(out.item(), ((X - Y) ** 2).sum(), rtol=1e-12)
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.warns(UserWarning):
        assert nn.CrossEntropyLoss(size_average=True, reduce=True).reduction == "mean"


def test_loss_modules_match_functional():
    x, y, t = T(X), T(Y), T(YC)
    w = T(W5)
    ce = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, ignore_index=2)
    assert list(ce.state_dict()) == ["weight"]
    assert ce(x, t).item() == F.cross_entropy(x, t, w, ignore_index=2,
                                              label_smoothing=0.1).item()
    bce = nn.BCEWithLogitsLoss(pos_weight=T(np.ones(5) * 2))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert bce(x, (y > 0).double()).item() == F.binary_cross_entropy_with_logits(
        x, (y > 0).double(), pos_weight=T(np.ones(5) * 2)).item()
    assert nn.NLLLoss(reduction="sum")(x, t).item() == F.nll_loss(x, t, reduction="sum").item()
    assert nn.KLDivLoss(reduction="batchmean", log_target=True)(x, y).item() == \
        F.kl_div(x, y, reduction="batchmean", log_target=True).item()
    assert nn.HuberLoss(delta=0.5)(x, y).item() == F.huber_loss(x, y, delta=0.5).item()
    assert nn.SmoothL1Loss(beta=0.5)(x, y).item() == F.smooth_l1_loss(x, y, beta=0.5).item()
    assert nn.MultiMarginLoss(p=2)(x, t).item() == F.multi_margin_loss(x, t, p=2).item()
    assert nn.TripletMarginLoss(margin=2.0)(x, y, x).item() == \
        F.triplet_margin_loss(x, y, x, margin=2.0).item()
    assert nn.GaussianNLLLoss()(x, y, ember.ones(4, 5, dtype=ember.float64)).item() == \
        F.gaussian_nll_loss(x, y, ember.ones(4, 5, dtype=ember.float64)).item()
    lp = F.log_softmax(T(RNG.normal(size=(6, 2, 4))), 2)
    tg = T(np.array([[1, 2], [3, 1]]))
    assert nn.CTCLoss(reduction="sum")(lp, tg, [6, 6], [2, 2]).item() == \
        F.ctc_loss(lp, tg, [6, 6], [2, 2], reduction="sum").item()
    for cls in (nn.L1Loss, nn.MSELoss, nn.SoftMarginLoss, nn.MultiLabelSoftMarginLoss,
                nn.HingeEmbeddingLoss, nn.PoissonNLLLoss):
        assert cls(reduction="none")(x, y).shape == (4, 5) or cls is nn.MultiLabelSoftMarginLoss
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
