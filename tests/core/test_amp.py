"""Automatic mixed precision: autocast's op lists and GradScaler's loss scaling."""

import math

import numpy as np
import pytest

import ember
from ember.amp import GradScaler


def test_autocast_lowers_matmul_and_keeps_sensitive_ops_in_float32():
    x = ember.randn(4, 8, requires_grad=True)
    w = ember.randn(8, 3, requires_grad=True)
    with ember.autocast("cpu"):  # bfloat16 by default on the CPU
        assert ember.is_autocast_enabled("cpu")
        y = x @ w
        z = y.softmax(1)
        e = y.exp()
        s = y + 1  # not on a list: runs in its input's dtype
    assert (y.dtype, z.dtype, e.dtype, s.dtype) == (ember.bfloat16, ember.float32, ember.float32,
                                                    ember.bfloat16)
    assert not ember.is_autocast_enabled("cpu")
    z.sum().backward()
    assert x.grad.dtype is ember.float32 and w.grad.dtype is ember.float32
    # the bfloat16 product is close to the float32 one (8 bits of mantissa)
    ref = x.detach().numpy() @ w.detach().numpy()
    np.testing.assert_allclose(y.float().detach().numpy(), ref, rtol=2e-2, atol=2e-2)


def test_autocast_float16_nesting_disabling_and_decorator():
    a, b = ember.randn(2, 2), ember.randn(2, 2)
    with ember.autocast("cpu", dtype=ember.float16):
        assert (a @ b).dtype is ember.float16
        with ember.autocast("cpu", enabled=False):
            assert (a @ b).dtype is ember.float32
        assert (a @ b).dtype is ember.float16
        with ember.autocast("fake_device_type"):  # other device types are untouched
            assert (a @ b).dtype is ember.float16
    assert (a @ b).dtype is ember.float32

    @ember.autocast("cpu")
    def f(u, v):
        return u @ v

    assert f(a, b).dtype is ember.bfloat16
    assert (a.double() @ b.double()).dtype is ember.float64
    with ember.autocast("cpu"):  # float64 inputs are never lowered, like PyTorch
        assert (a.double() @ b.double()).dtype is ember.float64
    with pytest.raises(RuntimeError, match="not supported"):
        ember.autocast("cpu", dtype=ember.float64)


class _SGD:
    """The smallest optimizer GradScaler needs: param_groups and step()."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.steps = 0

    def step(self):
        self.steps += 1
        with ember.no_grad():
            for p in self.param_groups[0]["params"]:
                p.sub_(p.grad * self.param_groups[0]["lr"])


def test_grad_scaler_scales_unscales_and_steps():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = _SGD([w], lr=0.1)
    scaler = GradScaler("cpu", init_scale=1024.0)
    loss = (w * w).sum()
    scaled = scaler.scale(loss)
    assert math.isclose(float(scaled), 1024.0 * 5.0)
    scaled.backward()
    np.testing.assert_allclose(w.grad.numpy(), 1024.0 * np.array([2.0, 4.0]))
    scaler.step(opt)  # unscales first
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.2, 2.0 - 0.4], rtol=1e-6)
    scaler.update()
    assert scaler.get_scale() == 1024.0 and opt.steps == 1


def test_grad_scaler_skips_inf_steps_backs_off_and_grows():
    w = ember.tensor([1.0], requires_grad=True)
    opt = _SGD([w], lr=0.1)
    scaler = GradScaler("cpu", init_scale=8.0, growth_interval=2)
    w.grad = ember.tensor([math.inf])
    scaler.step(opt)
    scaler.update()
    assert opt.steps == 0 and scaler.get_scale() == 4.0 and float(w) == 1.0
    for expected in (4.0, 8.0):  # two clean steps: the scale doubles after the second
        w.grad = ember.tensor([4.0])
        scaler.unscale_(opt)
        with pytest.raises(RuntimeError, match="already been called"):
            scaler.unscale_(opt)
        scaler.step(opt)
        scaler.update()
        assert scaler.get_scale() == expected
    assert opt.steps == 2
    state = scaler.state_dict()
    assert set(state) == {"scale", "growth_factor", "backoff_factor", "growth_interval",
                          "_growth_tracker"}
    fresh = GradScaler("cpu")
    fresh.load_state_dict(state)
    assert fresh.get_scale() == 8.0 and fresh.get_growth_interval() == 2


def test_disabled_grad_scaler_is_a_pass_through():
    scaler = GradScaler(enabled=False)
    t = ember.ones(1)
    assert scaler.scale(t) is t and scaler.get_scale() == 1.0 and scaler.state_dict() == {}


def test_autocast_lists_cover_nn_layers_and_losses():
    nn = ember.nn
    conv, norm, head = nn.Conv2d(1, 2, 3), nn.LayerNorm(8), nn.Linear(8, 3)
    x = ember.randn(2, 1, 6, 6)
    with ember.autocast("cpu"):
        c = conv(x)
        h = head(norm(c.flatten(1)[:, :8]))
        q = ember.randn(1, 2, 4, 8)
        a = nn.functional.scaled_dot_product_attention(q, q, q)
        loss = nn.functional.cross_entropy(h, ember.tensor([0, 2]))
    assert c.dtype is ember.bfloat16  # conv: lower precision
    assert norm(c.flatten(1)[:, :8]).dtype is ember.bfloat16  # outside autocast: as given
    assert h.dtype is ember.bfloat16 and a.dtype is ember.bfloat16
    assert loss.dtype is ember.float32  # losses and norms: float32
    with ember.autocast("cpu"):
        low = ember.randn(3, 4) @ ember.randn(4, 4)
        assert low.dtype is ember.bfloat16
        for reduced in (low.sum(), low.prod(1), low.cumsum(0), low.logsumexp(1), low.norm()):
            assert reduced.dtype is ember.float32  # reductions: float32
    loss.backward()
    assert conv.weight.grad.dtype is ember.float32
