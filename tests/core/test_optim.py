"""ember.optim: PyTorch's optimizer trajectories (fixtures from PyTorch 2.13), NumPy references
for the optimizers without fixtures, state_dict layout and round trips, parameter groups, hooks,
errors, and L-BFGS on the Rosenbrock function."""

from __future__ import annotations

import copy
import importlib
import math

import numpy as np
import pytest
from _optim_problem import assert_matches_fixture, problem, run

import ember
from ember import optim

FIXTURE_OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "sgd_momentum_dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    "sgd_nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov_weight_decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                                     weight_decay=0.05),
    "adam": lambda p: optim.Adam(p, lr=0.1),
    "adam_weight_decay": lambda p: optim.Adam(p, lr=0.1, betas=(0.8, 0.99), eps=1e-6,
                                              weight_decay=0.1),
    "adam_beta2_06": lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.6)),
    "adam_beta2_06_amsgrad": lambda p: optim.Adam(p, lr=0.1, betas=(0.9, 0.6), amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.1),
    "adamw_default_wd": lambda p: optim.AdamW(p, lr=0.1),
    "adamw_beta2_06": lambda p: optim.AdamW(p, lr=0.1, betas=(0.9, 0.6), weight_decay=0.1),
    "adamw_beta2_06_amsgrad": lambda p: optim.AdamW(p, lr=0.1, betas=(0.9, 0.6),
                                                    weight_decay=0.1, amsgrad=True),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01),
    "rmsprop_centered_momentum": lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6,
                                                         weight_decay=0.01, momentum=0.5,
                                                         centered=True),
    "adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "adagrad_decay": lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.01,
                                             initial_accumulator_value=0.1, eps=1e-8),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_OPTIMIZERS))
def test_fixture_trajectory(name):
    x, y, loss_fn = problem()
    opt = FIXTURE_OPTIMIZERS[name]([x, y])
    got = run(opt, None, x, y, loss_fn)
    assert_matches_fixture(name, got, opt)


# ---- NumPy references for the optimizers the fixtures don't cover ------------------------------
TARGET = np.array([0.5, -0.25, 2.0])


def _grad(p):
    return np.array([1.0, 3.0, 0.5]) * (p - TARGET)


def _ember_run(cls, steps, **kwargs):
    p = ember.tensor([1.0, -2.0, 3.0], dtype=ember.float64, requires_grad=True)
    w = ember.tensor([1.0, 3.0, 0.5], dtype=ember.float64)
    opt = cls([p], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (w * (p - ember.tensor(TARGET)) ** 2).sum()).backward()
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out), opt, p


def _numpy_nadam(steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False):
    p = np.array([1.0, -2.0, 3.0])
    m, v, mu_prod = np.zeros(3), np.zeros(3), np.float32(1.0)
    b1, b2 = betas
    out = []
    for t in range(1, steps + 1):
        g = _grad(p)
        if weight_decay:
            if decoupled_weight_decay:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_prod = np.float32(mu_prod * np.float32(mu))  # PyTorch keeps it in a float32 tensor
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        p = p - lr * (1 - mu) / (1 - float(mu_prod)) * g / denom
        p = p - lr * mu_next / (1 - float(mu_prod) * mu_next) * m / denom
        out.append(p)
    return np.array(out)


def _numpy_radam(steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False):
    p = np.array([1.0, -2.0, 3.0])
    m, v = np.zeros(3), np.zeros(3)
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1
    out = []
    for t in range(1, steps + 1):
        g = _grad(p)
        if weight_decay:
            if decoupled_weight_decay:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * m_hat * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps) * rect
        else:
            p = p - lr * m_hat
        out.append(p)
    return np.array(out)


def _numpy_adamax(steps, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
    p = np.array([1.0, -2.0, 3.0])
    m, u = np.zeros(3), np.zeros(3)
    b1, b2 = betas
    out = []
    for t in range(1, steps + 1):
        g = _grad(p) + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1 ** t) * m / u
        out.append(p)
    return np.array(out)


def _numpy_adadelta(steps, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
    p = np.array([1.0, -2.0, 3.0])
    v, u = np.zeros(3), np.zeros(3)
    out = []
    for _ in range(steps):
        g = _grad(p) + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    return np.array(out)


REFERENCE_CASES = [
    (optim.NAdam, _numpy_nadam, dict(lr=0.05)),
    (optim.NAdam, _numpy_nadam, dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    (optim.NAdam, _numpy_nadam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.RAdam, _numpy_radam, dict(lr=0.05)),
    (optim.RAdam, _numpy_radam, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    (optim.RAdam, _numpy_radam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.Adamax, _numpy_adamax, dict(lr=0.05)),
    (optim.Adamax, _numpy_adamax, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1)),
    (optim.Adadelta, _numpy_adadelta, dict()),
    (optim.Adadelta, _numpy_adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1)),
]


@pytest.mark.parametrize("cls,reference,kwargs", REFERENCE_CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(REFERENCE_CASES)])
def test_matches_numpy_reference(cls, reference, kwargs):
    got, _, _ = _ember_run(cls, 30, **kwargs)
    np.testing.assert_allclose(got, reference(30, **kwargs), rtol=1e-12, atol=1e-14)


def test_radam_switches_to_rectified_steps():
    # with beta2=0.999, rho_t exceeds 5 from step 6 on: both branches are exercised above;
    # check here that the first steps are plain momentum SGD
    got, _, _ = _ember_run(optim.RAdam, 1, lr=0.1)
    np.testing.assert_allclose(got[0], np.array([1.0, -2.0, 3.0]) - 0.1 * _grad(
        np.array([1.0, -2.0, 3.0])), rtol=1e-14)


@pytest.mark.parametrize("cls,kwargs", [(optim.SGD, dict(lr=0.1, momentum=0.9)),
                                        (optim.Adam, dict(lr=0.1)),
                                        (optim.AdamW, dict(lr=0.1, amsgrad=True)),
                                        (optim.RMSprop, dict(lr=0.01, centered=True)),
                                        (optim.Adagrad, dict(lr=0.1)),
                                        (optim.Adamax, dict(lr=0.1)),
                                        (optim.NAdam, dict(lr=0.1)),
                                        (optim.RAdam, dict(lr=0.1)),
                                        (optim.Adadelta, dict())])
def test_maximize_equals_minimizing_the_negation(cls, kwargs):
    p1 = ember.tensor([1.0, -2.0], dtype=ember.float64, requires_grad=True)
    p2 = ember.tensor([1.0, -2.0], dtype=ember.float64, requires_grad=True)
    o1, o2 = cls([p1], maximize=True, **kwargs), cls([p2], **kwargs)
    for _ in range(5):
        for p, o, sign in ((p1, o1, -1.0), (p2, o2, 1.0)):
            o.zero_grad()
            (sign * ((p - 0.3) ** 2).sum()).backward()
            o.step()
    np.testing.assert_allclose(p1.detach().numpy(), p2.detach().numpy(), rtol=1e-15)


# ---- state_dict ----------------------------------------------------------------------------------
def test_state_dict_layout_like_pytorch():
    x, y, loss_fn = problem()
    z = ember.zeros(2, dtype=ember.float64, requires_grad=True)
    opt = optim.Adam([{"params": [x]}, {"params": [y, z], "lr": 0.01}], lr=0.1)
    loss_fn(x, y).backward()
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1]  # z has no gradient: no state
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["lr"] == 0.1
    expected = {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach",
                "capturable", "differentiable", "fused", "decoupled_weight_decay", "params"}
    assert set(sd["param_groups"][0]) == expected
    state = sd["state"][1]
    assert set(state) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["step"].dtype == ember.float32 and state["step"].item() == 1.0
    assert state["exp_avg"].shape == (2, 2) and state["exp_avg"].dtype == ember.float64


def test_step_dtype_follows_default_dtype():
    prev = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        x, y, loss_fn = problem()
        opt = optim.SGD([x], lr=0.1)
        opt = optim.RMSprop([x, y])
        loss_fn(x, y).backward()
        opt.step()
        assert opt.state[x]["step"].dtype == ember.float64
    finally:
        ember.set_default_dtype(prev)


@pytest.mark.parametrize("name", ["sgd_nesterov_weight_decay", "adam_beta2_06_amsgrad", "adamw",
                                  "rmsprop_centered_momentum", "adagrad_decay"])
def test_state_dict_round_trip_continues_the_trajectory(name):
    make = FIXTURE_OPTIMIZERS[name]
    x, y, loss_fn = problem()
    reference = run(make([x, y]), None, x, y, loss_fn, steps=10)

    x, y, loss_fn = problem()
    opt = make([x, y])
    run(opt, None, x, y, loss_fn, steps=4)
    saved = copy.deepcopy(opt.state_dict())
    x2 = x.detach().clone().requires_grad_(True)
    y2 = y.detach().clone().requires_grad_(True)
    fresh = make([x2, y2])
    fresh.load_state_dict(saved)
    got = run(fresh, None, x2, y2, loss_fn, steps=6)
    np.testing.assert_allclose(got["x"], reference["x"][4:], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got["y"], reference["y"][4:], rtol=1e-13, atol=1e-15)
    # the loaded state is the fresh optimizer's own: the saved dict did not move
    again = copy.deepcopy(opt.state_dict())
    for idx, state in saved["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(value.numpy(), again["state"][idx][key].numpy())


def test_load_state_dict_casts_to_param_dtype_and_keeps_step():
    p = ember.zeros(3, dtype=ember.float32, requires_grad=True)
    opt = optim.Adam([p])
    sd = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(3, dtype=ember.float64),
                        "exp_avg_sq": ember.ones(3, dtype=ember.float64)}},
          "param_groups": [{"params": [0], "lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8,
                            "weight_decay": 0, "amsgrad": False}]}
    opt.load_state_dict(sd)
    state = opt.state[p]
    assert state["exp_avg"].dtype == ember.float32 and state["step"].dtype == ember.float32
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is p
    assert opt.param_groups[0]["maximize"] is False  # options missing from old dicts: defaults


def test_load_state_dict_float_step_from_old_checkpoints():
    p = ember.zeros(2, dtype=ember.float64, requires_grad=True)
    opt = optim.Adam([p])
    opt.load_state_dict({"state": {0: {"step": 4, "exp_avg": ember.zeros(2),
                                       "exp_avg_sq": ember.zeros(2)}},
                         "param_groups": [dict(opt.state_dict()["param_groups"][0])]})
    assert isinstance(opt.state[p]["step"], ember.Tensor) and opt.state[p]["step"].item() == 4


def test_load_state_dict_errors():
    x, y, _ = problem()
    opt = optim.SGD([x, y], lr=0.1)
    other = optim.SGD([{"params": [x]}, {"params": [y]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = optim.SGD([x], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(small.state_dict())


# ---- parameter groups ----------------------------------------------------------------------------
def test_param_groups_with_different_options_equal_separate_optimizers():
    x, y, loss_fn = problem()
    opt = optim.SGD([{"params": [x], "momentum": 0.9}, {"params": [y], "lr": 0.01}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["momentum"] == 0
    x1, y1, _ = problem()
    ox, oy = optim.SGD([x1], lr=0.1, momentum=0.9), optim.SGD([y1], lr=0.01)
    for _ in range(5):
        for o in (opt, ox, oy):
            o.zero_grad()
        loss_fn(x, y).backward()
        loss_fn(x1, y1).backward()
        for o in (opt, ox, oy):
            o.step()
    np.testing.assert_array_equal(x.detach().numpy(), x1.detach().numpy())
    np.testing.assert_array_equal(y.detach().numpy(), y1.detach().numpy())


def test_add_param_group():
    x, y, loss_fn = problem()
    opt = optim.Adagrad([x], lr=0.1)
    opt.add_param_group({"params": y, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [y] and opt.param_groups[1]["lr_decay"] == 0
    loss_fn(x, y).backward()
    opt.step()
    assert opt.state[y]["step"].item() == 1.0
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter "
                                         "group"):
        opt.add_param_group({"params": [x]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([x])


def test_named_parameters():
    x, y, _ = problem()
    opt = optim.SGD([("x", x), ("y", y)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["x", "y"]
    assert opt.param_groups[0]["params"] == [x, y]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["x", "y"]


def test_zero_grad():
    x, y, loss_fn = problem()
    opt = optim.SGD([x, y], lr=0.1)
    loss_fn(x, y).backward()
    grad = x.grad
    opt.zero_grad(set_to_none=False)
    assert x.grad is grad and not x.grad.numpy().any()
    loss_fn(x, y).backward()
    opt.zero_grad()
    assert x.grad is None and y.grad is None


def test_params_without_grad_are_skipped():
    x, y, loss_fn = problem()
    opt = optim.Adam([x, y], lr=0.1)
    (x.sum() * 2).backward()
    before = y.detach().numpy().copy()
    opt.step()
    np.testing.assert_array_equal(y.detach().numpy(), before)
    assert len(opt.state[y]) == 0 and x in opt.state


def test_closure_loss_is_returned_and_step_runs_without_grad():
    x, y, loss_fn = problem()
    opt = optim.SGD([x, y], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = loss_fn(x, y)
        assert ember.is_grad_enabled()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, ember.Tensor) and x.grad_fn is None and x.is_leaf


def test_step_hooks():
    x, y, loss_fn = problem()
    opt = optim.SGD([x, y], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    h3 = optim.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append(("gpre",)))
    try:
        loss_fn(x, y).backward()
        opt.step()
        assert calls == [("gpre",), ("pre", opt), ("post", opt)]
    finally:
        h3.remove()
    h1.remove()
    h2.remove()
    opt.step()
    assert len(calls) == 3


def test_state_dict_hooks():
    x, _, _ = problem()
    opt = optim.SGD([x], lr=0.1)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1
    seen = []
    opt.register_load_state_dict_post_hook(lambda o: seen.append(o))
    opt.load_state_dict(opt.state_dict())
    assert seen == [opt]


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and "
                                                    "zero dampening"),
    (lambda p: optim.Adam(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]),
     "LBFGS doesn't support per-parameter options"),
])
def test_invalid_arguments(make, message):
    x, y, _ = problem()
    with pytest.raises(ValueError) as info:
        make([x, y])
    assert str(info.value).startswith(message)


def test_invalid_params():
    x, _, _ = problem()
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(x, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {x}}], lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([x, x], lr=0.1)


def test_repr_lists_groups():
    x, _, _ = problem()
    text = repr(optim.SGD([x], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9\n" in text


def test_lazy_submodule():
    assert importlib.import_module("ember.optim") is ember.optim
    assert ember.optim.lr_scheduler.StepLR is not None


# ---- L-BFGS --------------------------------------------------------------------------------------
def _rosenbrock_closure(opt, p):
    def closure():
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("line_search_fn,lr,steps", [("strong_wolfe", 1, 5), (None, 0.1, 50)])
def test_lbfgs_rosenbrock_matches_scipy(line_search_fn, lr, steps):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    ref = scipy_optimize.minimize(scipy_optimize.rosen, np.array([-1.5, 2.0]),
                                  jac=scipy_optimize.rosen_der, method="L-BFGS-B",
                                  options={"gtol": 1e-12, "ftol": 1e-15})
    p = ember.tensor([-1.5, 2.0], dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([p], lr=lr, max_iter=200, history_size=10, line_search_fn=line_search_fn,
                      tolerance_grad=1e-10, tolerance_change=1e-14)
    closure = _rosenbrock_closure(opt, p)
    first = opt.step(closure)
    assert first.item() == pytest.approx(scipy_optimize.rosen(np.array([-1.5, 2.0])))
    for _ in range(steps):
        opt.step(closure)
    np.testing.assert_allclose(p.detach().numpy(), ref.x, atol=1e-6)
    assert closure().item() < 1e-12
    state = opt.state[p]
    assert state["n_iter"] > 10 and state["func_evals"] >= state["n_iter"]


def test_lbfgs_strong_wolfe_state_round_trip():
    p = ember.tensor([-1.5, 2.0], dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([p], max_iter=5, line_search_fn="strong_wolfe")
    opt.step(_rosenbrock_closure(opt, p))
    p2 = p.detach().clone().requires_grad_(True)
    opt2 = optim.LBFGS([p2], max_iter=5, line_search_fn="strong_wolfe")
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    opt.step(_rosenbrock_closure(opt, p))
    opt2.step(_rosenbrock_closure(opt2, p2))
    np.testing.assert_allclose(p2.detach().numpy(), p.detach().numpy(), rtol=1e-14)


def test_lbfgs_quadratic_converges():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((6, 6))
    A = ember.tensor(m @ m.T + 6 * np.eye(6))
    b = ember.tensor(rng.standard_normal(6))
    p = ember.zeros(6, dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([p], max_iter=50, line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-16)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (p @ (A @ p)) - (b * p).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(p.detach().numpy(), np.linalg.solve(A.numpy(), b.numpy()),
                               rtol=1e-6)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="backtracking")
