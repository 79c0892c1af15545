"""ember.optim.lr_scheduler: PyTorch's schedules (fixtures from PyTorch 2.13), closed forms,
``last_epoch`` semantics, momentum cycling, state_dict round trips and errors."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from _optim_problem import DATA, assert_matches_fixture, problem, run

import ember
from ember import optim
from ember.optim import lr_scheduler as L


def _sgd(p, **kw):
    return optim.SGD(p, lr=0.1, **kw)


FIXTURE_SCHEDULES = {
    "steplr": lambda p: (lambda o: (o, L.StepLR(o, step_size=3, gamma=0.5)))(_sgd(p)),
    "cosine": lambda p: (lambda o: (o, L.CosineAnnealingLR(o, T_max=10, eta_min=0.001)))(_sgd(p)),
    "cosine_past_tmax": lambda p: (lambda o: (o, L.CosineAnnealingLR(o, T_max=4)))(_sgd(p)),
    "onecycle": lambda p: (lambda o: (o, L.OneCycleLR(o, max_lr=1.0, total_steps=10)))(
        _sgd(p, momentum=0.9)),
    "onecycle_adam_linear_three_phase": lambda p: (lambda o: (o, L.OneCycleLR(
        o, max_lr=0.5, total_steps=12, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0, base_momentum=0.8,
        max_momentum=0.9)))(optim.Adam(p, lr=0.1)),
    "linearlr": lambda p: (lambda o: (o, L.LinearLR(o, start_factor=0.25, end_factor=1.0,
                                                    total_iters=4)))(_sgd(p)),
    "linear_then_cosine": lambda p: (lambda o: (o, L.SequentialLR(o, schedulers=[
        L.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4),
        L.CosineAnnealingLR(o, T_max=6, eta_min=0.0)], milestones=[4])))(_sgd(p)),
    "linear_then_step": lambda p: (lambda o: (o, L.SequentialLR(o, schedulers=[
        L.LinearLR(o, start_factor=0.5, end_factor=1.0, total_iters=3),
        L.StepLR(o, step_size=2, gamma=0.5)], milestones=[3])))(_sgd(p)),
    "plateau_min": lambda p: (lambda o: (o, L.ReduceLROnPlateau(
        o, mode="min", factor=0.5, patience=2, threshold=1e-4, threshold_mode="rel",
        cooldown=0, min_lr=0.0)))(_sgd(p)),
    "plateau_max_abs_cooldown": lambda p: (lambda o: (o, L.ReduceLROnPlateau(
        o, mode="max", factor=0.1, patience=0, threshold=0.05, threshold_mode="abs",
        cooldown=1, min_lr=0.002)))(_sgd(p)),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_SCHEDULES))
def test_fixture_schedule(name):
    x, y, loss_fn = problem()
    opt, sched = FIXTURE_SCHEDULES[name]([x, y])
    metrics = DATA[f"{name}/metrics"] if f"{name}/metrics" in DATA.files else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the correct call order gives no warning
        got = run(opt, sched, x, y, loss_fn, metrics=metrics)
    assert_matches_fixture(name, got, opt)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]


# ---- schedules against their closed forms --------------------------------------------------------
def _lrs(make, steps=12, lr=0.1, groups=1):
    params = [ember.zeros(1, requires_grad=True) for _ in range(groups)]
    opt = optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)])
    sched = make(opt)
    out = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return np.array(out)


CLOSED_FORMS = [
    ("step", lambda o: L.StepLR(o, 4, gamma=0.3), lambda b, e: b * 0.3 ** (e // 4)),
    ("multistep", lambda o: L.MultiStepLR(o, [2, 5, 5, 9], gamma=0.5),
     lambda b, e: b * 0.5 ** sum(m <= e for m in [2, 5, 5, 9])),
    ("constant", lambda o: L.ConstantLR(o, factor=0.25, total_iters=3),
     lambda b, e: b * (0.25 if e < 3 else 1.0)),
    ("linear", lambda o: L.LinearLR(o, start_factor=0.1, end_factor=0.7, total_iters=5),
     lambda b, e: b * (0.1 + 0.6 * min(e, 5) / 5)),
    ("exponential", lambda o: L.ExponentialLR(o, gamma=0.8), lambda b, e: b * 0.8 ** e),
    ("polynomial", lambda o: L.PolynomialLR(o, total_iters=6, power=2.0),
     lambda b, e: b * (1 - min(e, 6) / 6) ** 2),
    ("cosine", lambda o: L.CosineAnnealingLR(o, T_max=12, eta_min=0.01),
     lambda b, e: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 12)) / 2),
    ("lambda", lambda o: L.LambdaLR(o, lambda e: 1 / (1 + e)), lambda b, e: b / (1 + e)),
    ("multiplicative", lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
     lambda b, e: b * 0.9 ** e),
    ("warm_restarts", lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.0),
     lambda b, e: b * (1 + math.cos(math.pi * _sgdr(e)[0] / _sgdr(e)[1])) / 2),
    ("chained", lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=4),
                                              L.ExponentialLR(o, gamma=0.9)]),
     lambda b, e: b * (0.5 if e < 4 else 1.0) * 0.9 ** e),
    ("sequential", lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=3),
                                                L.ExponentialLR(o, gamma=0.9)], [3]),
     lambda b, e: b * (0.1 if e < 3 else 0.9 ** (e - 3))),
]


def _sgdr(epoch):
    """(T_cur, T_i) of SGDR with T_0=3, T_mult=2."""
    t_i, start = 3, 0
    while epoch >= start + t_i:
        start, t_i = start + t_i, t_i * 2
    return epoch - start, t_i


@pytest.mark.parametrize("name,make,formula", CLOSED_FORMS, ids=[c[0] for c in CLOSED_FORMS])
def test_schedule_closed_form(name, make, formula):
    got = _lrs(make, groups=2)
    expected = [[formula(base, e) for base in (0.1, 0.2)] for e in range(len(got))]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_step_with_epoch_uses_closed_form_and_warns():
    opt = _sgd([ember.zeros(1, requires_grad=True)])
    sched = L.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)
    assert sched.last_epoch == 5 and opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.25)


def test_cyclic_lr_triangular_modes_and_momentum():
    opt = optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.5, momentum=0.9)
    sched = L.CyclicLR(opt, base_lr=0.1, max_lr=1.1, step_size_up=2, step_size_down=3,
                       mode="triangular2", base_momentum=0.8, max_momentum=0.9)
    lrs, moms = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(11):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
    # one cycle = 5 iterations: up over 2, down over 3; the amplitude halves every cycle
    shape = [0, 0.5, 1, 2 / 3, 1 / 3]
    scale = [1.0] * 5 + [0.5] * 5 + [0.25] * 2
    amp = np.array([shape[e % 5] * scale[e] for e in range(12)])
    np.testing.assert_allclose(lrs, 0.1 + 1.0 * amp, rtol=1e-12)
    np.testing.assert_allclose(moms, 0.9 - 0.1 * amp, rtol=1e-12)


def test_cyclic_lr_exp_range_and_beta1():
    opt = optim.Adam([ember.zeros(1, requires_grad=True)], lr=0.5)
    sched = L.CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2, mode="exp_range",
                       gamma=0.9)
    for e in range(1, 8):
        opt.step()
        sched.step()
        x = 1.0 + e / 4 - math.floor(1 + e / 4)
        factor = x / 0.5 if x <= 0.5 else (x - 1) / (0.5 - 1)
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 + 0.4 * factor * 0.9 ** e,
                                                          rel=1e-12)
        assert opt.param_groups[0]["betas"][0] == pytest.approx(0.9 - 0.1 * factor * 0.9 ** e,
                                                                rel=1e-12)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        L.CyclicLR(optim.Adagrad([ember.zeros(1, requires_grad=True)]), 0.1, 1.0)


# ---- last_epoch / state_dict ---------------------------------------------------------------------
def test_construction_step_and_last_epoch():
    opt = _sgd([ember.zeros(1, requires_grad=True)])
    sched = L.ExponentialLR(opt, gamma=0.5)
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1]
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.get_last_lr() == [0.1]
    opt.step()
    sched.step()
    assert sched.last_epoch == 1 and sched.get_last_lr() == [0.05]


def test_resume_with_last_epoch():
    opt = _sgd([ember.zeros(1, requires_grad=True)])
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in "
                                       "param_groups\\[0\\] when resuming an optimizer"):
        L.StepLR(opt, step_size=2, last_epoch=3)
    opt.param_groups[0]["initial_lr"] = 0.1
    opt.param_groups[0]["lr"] = 0.025
    sched = L.ExponentialLR(opt, gamma=0.5, last_epoch=2)  # resuming doesn't move the lr
    assert sched.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.025
    cos = L.CosineAnnealingLR(_sgd([ember.zeros(1, requires_grad=True)]), T_max=10)
    cos.optimizer.param_groups[0]["lr"] = 0.5
    assert cos.get_last_lr() == [0.1]


@pytest.mark.parametrize("make", [
    lambda o: L.StepLR(o, 3, gamma=0.5),
    lambda o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=20),
    lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.2, total_iters=3), L.ExponentialLR(o, 0.9)],
                             [3]),
    lambda o: L.ChainedScheduler([L.StepLR(o, 2), L.ExponentialLR(o, 0.9)]),
], ids=["step", "cosine", "onecycle", "cyclic", "warm_restarts", "sequential", "chained"])
def test_scheduler_state_dict_round_trip(make):
    p = ember.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sched = make(opt)
    for _ in range(5):
        opt.step()
        sched.step()
    sched_state = pickle.loads(pickle.dumps(sched.state_dict()))
    opt_state = pickle.loads(pickle.dumps(opt.state_dict()))
    assert "optimizer" not in sched_state
    reference = []
    for _ in range(6):
        opt.step()
        sched.step()
        reference.append(opt.param_groups[0]["lr"])

    p2 = ember.zeros(1, requires_grad=True)
    opt2 = optim.SGD([p2], lr=0.1, momentum=0.9)
    sched2 = make(opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    got = []
    for _ in range(6):
        opt2.step()
        sched2.step()
        got.append(opt2.param_groups[0]["lr"])
    np.testing.assert_allclose(got, reference, rtol=1e-14)


def test_lambda_state_dict_saves_callable_objects_only():
    class Factor:
        def __init__(self):
            self.base = 0.5

        def __call__(self, epoch):
            return self.base ** epoch

    opt = optim.SGD([{"params": [ember.zeros(1, requires_grad=True)]},
                     {"params": [ember.zeros(1, requires_grad=True)]}], lr=0.1)
    sched = L.LambdaLR(opt, [lambda e: 1.0, Factor()])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"base": 0.5}]
    state["lr_lambdas"][1]["base"] = 0.25
    sched.load_state_dict(state)
    assert sched.lr_lambdas[1].base == 0.25 and "lr_lambdas" in state


def test_plateau_state_dict_and_tensor_metric():
    opt = _sgd([ember.zeros(1, requires_grad=True)])
    sched = L.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(ember.tensor(1.0))
    sched.step(ember.tensor(2.0))
    assert opt.param_groups[0]["lr"] == 0.05 and sched.get_last_lr() == [0.05]
    state = sched.state_dict()
    assert state["best"] == 1.0 and state["mode"] == "min" and "optimizer" not in state
    other = L.ReduceLROnPlateau(opt, mode="max")
    other.load_state_dict(state)
    assert other.mode == "min" and other.mode_worse == math.inf and other.best == 1.0


# ---- warnings and errors -------------------------------------------------------------------------
def test_warns_when_scheduler_steps_before_optimizer():
    opt = _sgd([ember.zeros(1, requires_grad=True)])
    sched = L.StepLR(opt, 1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_get_lr_outside_step_warns():
    sched = L.StepLR(_sgd([ember.zeros(1, requires_grad=True)]), 1)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_scheduler_errors():
    p = ember.zeros(1, requires_grad=True)
    opt = _sgd([p])
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        L.StepLR([], 1)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        L.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        L.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        L.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        L.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        L.LambdaLR(opt, [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        L.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        L.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="number of milestones to be equal to 0"):
        L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(opt, 2)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        L.ChainedScheduler([L.ReduceLROnPlateau(opt)])
    other = _sgd([ember.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same"):
        L.SequentialLR(opt, [L.StepLR(opt, 1), L.StepLR(other, 1)], milestones=[2])
    sched = L.OneCycleLR(_sgd([p], momentum=0.9), max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.optimizer.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        sched.step()
