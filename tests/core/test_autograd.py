"""Autograd: the engine, hooks, grad modes, custom Functions, version counters, anomaly mode."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import Function, gradcheck, gradgradcheck


def leaf(values, dtype=ember.float64):
    return ember.tensor(values, dtype=dtype, requires_grad=True)


def test_chain_rule_matches_hand_derivative():
    x = leaf([0.5, -1.0, 2.0])
    y = (x * x.exp()).sum()
    y.backward()
    xs = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xs) * (1 + xs), rtol=1e-12)


def test_gradients_accumulate_and_reuse_of_input():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_shared_gradient_is_not_aliased_between_leaves():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.add_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_broadcast_gradients_are_summed_to_input_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    (a * b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 6.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_backward_twice_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(ember.tensor([1.0, 10.0], dtype=ember.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_autograd_grad_returns_without_accumulating():
    x = leaf([1.0, 2.0, 3.0])
    y = (x ** 3).sum()
    (g,) = ember.autograd.grad(y, x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0, 9.0]))
    assert x.grad is None


def test_grad_of_unused_input():
    x, z = leaf([1.0]), leaf([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and float(gx) == 2.0


def test_higher_order_gradients():
    x = leaf([0.3, 1.2])
    y = (x.sin() * x).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    xs = np.array([0.3, 1.2])
    np.testing.assert_allclose(g.detach().numpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), 2 * np.cos(xs) - xs * np.sin(xs), rtol=1e-12)


def test_third_derivative_of_exp_tanh():
    x = leaf([0.4])
    y = x.tanh()
    g1 = ember.autograd.grad(y, x, create_graph=True)[0]
    g2 = ember.autograd.grad(g1, x, create_graph=True)[0]
    g3 = ember.autograd.grad(g2, x)[0]
    t = math.tanh(0.4)
    # d3/dx3 tanh = -2 (1 - t^2) (1 - 3 t^2)
    assert abs(float(g3) - (-2 * (1 - t * t) * (1 - 3 * t * t))) < 1e-12


def test_gradcheck_and_gradgradcheck_on_a_composite_function():
    x = leaf(np.random.default_rng(0).standard_normal((3, 4)))
    w = leaf(np.random.default_rng(1).standard_normal((4,)))

    def f(x, w):
        return ((x * w).tanh().exp() / (1 + (x - w) ** 2)).sum(1)

    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


def test_gradcheck_detects_a_wrong_derivative():
    class WrongExp(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp() * 1.01

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongExp.apply, (leaf([0.1, 0.2]),))
    assert not gradcheck(WrongExp.apply, (leaf([0.1]),), raise_exception=False)


# ---- grad modes -------------------------------------------------------------------------------

def test_no_grad_and_enable_grad():
    x = leaf([1.0])
    with ember.no_grad():
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_set_grad_enabled_call_and_context():
    x = leaf([1.0])
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    ember.set_grad_enabled(False)
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)


def test_inference_mode_tensors_cannot_require_grad():
    with ember.inference_mode():
        t = ember.ones(2)
        assert ember.is_inference_mode_enabled()
    assert t.is_inference()
    with pytest.raises(RuntimeError, match="inference tensor"):
        t.requires_grad_()


# ---- leaves, detach, hooks --------------------------------------------------------------------

def test_leaf_flags_and_requires_grad_rules():
    x = leaf([1.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)


def test_detach_shares_memory_and_version():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0
    assert float(x[0]) == 5.0


def test_tensor_hooks_modify_gradients():
    x = leaf([1.0, 2.0])
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [6.0, 6.0])  # (1 + 1) * 3
    np.testing.assert_allclose(x.grad.numpy(), [60.0, 60.0])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_retain_grad_keeps_intermediate_gradients():
    x = leaf([1.0, 2.0])
    y = x * x
    y.retain_grad()
    (y * 3).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [3.0, 3.0])
    assert y.retains_grad


def test_node_post_hook_sees_gradients():
    x = leaf([2.0])
    y = x * x
    calls = []
    y.grad_fn.register_hook(lambda gin, gout: calls.append((gin[0].item(), gout[0].item())))
    y.sum().backward()
    assert calls == [(2.0, 1.0)]  # grad_inputs are per input: d(x*x)/d(first x) = x


# ---- custom Function --------------------------------------------------------------------------

class MulAdd(Function):
    @staticmethod
    def forward(ctx, x, y, scale):
        ctx.save_for_backward(x, y)
        ctx.scale = scale
        return x * y * scale + 1

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gx = grad * y * ctx.scale if ctx.needs_input_grad[0] else None
        gy = grad * x * ctx.scale if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_custom_function_forward_backward_and_gradcheck():
    x, y = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    out = MulAdd.apply(x, y, 2.0)
    assert out.grad_fn.name() == "MulAddBackward"
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, -2.0])
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 4.0])
    assert gradcheck(lambda a, b: MulAdd.apply(a, b, 0.5), (x, y))


def test_custom_function_needs_input_grad():
    x = leaf([1.0])
    y = ember.tensor([2.0], dtype=ember.float64)
    flags = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            flags.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None

    Probe.apply(x, y).sum().backward()
    assert flags == [(True, False)]


def test_custom_function_mark_dirty():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = leaf([1.0, 2.0])
    b = a * 2
    c = AddOneInPlace.apply(b)
    assert c is b and b._version == 1
    np.testing.assert_allclose(c.detach().numpy(), [3.0, 5.0])
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0, 2.0])


# ---- in-place ops and version counters -------------------------------------------------------

def test_inplace_on_leaf_requiring_grad_is_an_error():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)
    assert float(x) == 2.0


def test_modifying_a_saved_tensor_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y.exp()  # exp saves its output
    w = y * y  # mul saves its inputs
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward(retain_graph=True)
    z.sum().backward()  # exp's output was not modified: fine
    assert x.grad is not None


def test_inplace_on_intermediate_gives_correct_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.mul_(x)  # y = 3x^2: the old y is needed by mul's backward and must survive
    y.exp_()
    y.sum().backward()
    xs = np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(3 * xs ** 2) * 6 * xs, rtol=1e-12)


def test_inplace_through_view_updates_base_graph():
    x = leaf([1.0, 2.0, 3.0])
    w = leaf([5.0])
    y = x * 1
    y[1:2].mul_(w)  # write through a view of a tracked tensor
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 5.0, 1.0])
    np.testing.assert_allclose(w.grad.numpy(), [2.0])


def test_setitem_with_grad_value():
    x = leaf([1.0, 2.0, 3.0])
    w = leaf([4.0])
    y = x.clone()
    y[0] = w[0] * 2
    (y * ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2.0, 3.0])
    np.testing.assert_allclose(w.grad.numpy(), [2.0])


def test_version_counter_shared_by_views():
    x = ember.zeros(4)
    v = x[1:3]
    assert x._version == v._version == 0
    v.add_(1)
    assert x._version == 1 and v._version == 1
    x[0] = 3
    assert v._version == 2


# ---- anomaly mode -----------------------------------------------------------------------------

def test_detect_anomaly_names_the_function_that_made_nan():
    x = leaf([0.0])
    with ember.autograd.detect_anomaly():
        y = x.sqrt() * 0  # d sqrt(x)/dx at 0 is inf; times 0 gives nan
        with pytest.raises(RuntimeError, match="returned nan values") as err:
            y.sum().backward()
    assert "SqrtBackward0" in str(err.value)
    assert "test_autograd.py" in str(err.value)  # the forward traceback is shown


def test_inplace_write_through_view_of_non_contiguous_base():
    host = np.zeros((3, 2))
    base = ember.from_numpy(host.T)  # a root tensor with transposed strides
    assert not base.is_contiguous()
    w = leaf([1.0, 2.0, 3.0])
    base[1] = w * 2  # the write lands in host memory too
    np.testing.assert_allclose(host[:, 1], [2.0, 4.0, 6.0])
    c = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=ember.float64)
    (base * c).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.array([4.0, 5.0, 6.0]))


def test_second_order_through_copy_slices():
    x = leaf([1.0, 2.0])
    y = ember.zeros(3, dtype=ember.float64)
    y[1:] = x * x
    (g,) = ember.autograd.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [2.0, 4.0])
    (gg,) = ember.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [2.0, 2.0])
