"""The fixture problem of ``fixtures/optim/README``-style runs, shared by the optim tests."""

from __future__ import annotations

import pathlib

import numpy as np

import ember

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "optim" / "trajectories.npz"
DATA = np.load(FIXTURE)


def problem():
    """Fresh ``x``, ``y`` leaves and the loss function of the fixtures (float64)."""
    x = ember.tensor(DATA["problem/x0"], requires_grad=True)
    y = ember.tensor(DATA["problem/y0"], requires_grad=True)
    a, t, C = (ember.tensor(DATA[f"problem/{k}"]) for k in ("a", "t", "C"))

    def loss_fn(x, y):
        return 0.5 * (a * (x - t) ** 2).sum() + (C * y).sum()

    return x, y, loss_fn


def run(opt, sched, x, y, loss_fn, steps=10, metrics=None):
    """The fixtures' loop; returns the recorded trajectories as NumPy arrays."""
    group = opt.param_groups[0]

    def momentum():
        if "momentum" in group:
            return group["momentum"]
        return group["betas"][0] if "betas" in group else float("nan")

    rec = {"x": [x.detach().numpy().copy()], "y": [y.detach().numpy().copy()], "loss": [],
           "lr": [group["lr"]], "momentum": [momentum()]}
    for step in range(steps):
        opt.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        opt.step()
        if sched is not None:
            if metrics is not None:
                sched.step(metrics[step])
            else:
                sched.step()
        rec["loss"].append(loss.item())
        rec["x"].append(x.detach().numpy().copy())
        rec["y"].append(y.detach().numpy().copy())
        rec["lr"].append(group["lr"])
        rec["momentum"].append(momentum())
    out = {k: np.array(v) for k, v in rec.items()}
    out["beta1"] = out["momentum"]
    return out


def entries_with_prefix(name: str) -> list[str]:
    return [k for k in DATA.files if k.startswith(name + "/")]


def assert_matches_fixture(name: str, got: dict, opt) -> None:
    """Every stored array of entry ``name``: trajectories, lrs, momenta and final state."""
    state = opt.state_dict()["state"]
    keys = [k for k in entries_with_prefix(name) if not k.endswith("/metrics")]
    assert keys
    for key in keys:
        rest = key[len(name) + 1:]
        if rest.startswith("state/"):
            _, which, field = rest.split("/")
            value = state[0 if which == "x" else 1][field]
            if field == "step":
                assert value.dtype == ember.float32 and value.shape == ()
            actual = value.numpy()
        else:
            actual = got[rest]
        np.testing.assert_allclose(actual, DATA[key], rtol=1e-12, atol=1e-14, err_msg=key)
