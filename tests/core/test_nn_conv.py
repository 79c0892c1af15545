"""Convolutions, unfold/fold and the conv layers: PyTorch's fixtures (values and gradients),
a naive float64 NumPy reference, decomposition == CPU fast path, gradcheck and errors."""

from pathlib import Path

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.backends import cpu_conv

FIX = Path(__file__).parent / "fixtures" / "layers"
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-5)}


# ---- PyTorch fixtures ---------------------------------------------------------------------------

def _reflect_module(input, weight, bias):
    m = nn.Conv2d(3, 4, kernel_size=3, stride=1, padding=1, padding_mode="reflect",
                  dtype=input.dtype)
    assert m.weight.shape == weight.shape and m.bias.shape == bias.shape
    return m._conv_forward(input, weight, bias)  # the module's forward with the fixture leaves


CASES = {
    "conv1d": {
        "basic": lambda i, w, b: F.conv1d(i, w, b, stride=1, padding=0, dilation=1, groups=1),
        "stride2_pad1_dil2": lambda i, w, b: F.conv1d(i, w, b, stride=2, padding=1, dilation=2),
        "groups2_same": lambda i, w, b: F.conv1d(i, w, b, padding="same", groups=2),
        "even_kernel_same": lambda i, w: F.conv1d(i, w, None, padding="same"),
    },
    "conv2d": {
        "basic": lambda i, w, b: F.conv2d(i, w, b),
        "stride2_pad1": lambda i, w, b: F.conv2d(i, w, b, stride=2, padding=1),
        "dilation2_pad2": lambda i, w, b: F.conv2d(i, w, b, padding=2, dilation=2),
        "groups2": lambda i, w, b: F.conv2d(i, w, b, padding=1, groups=2),
        "depthwise_mult2": lambda i, w, b: F.conv2d(i, w, b, stride=2, padding=1, groups=3),
        "asymmetric": lambda i, w: F.conv2d(i, w, None, stride=(2, 1), padding=(1, 0),
                                            dilation=(1, 2)),
        "same_even_kernel": lambda i, w, b: F.conv2d(i, w, b, padding="same"),
        "reflect_module": _reflect_module,
    },
    "conv_transpose2d": {
        "basic": lambda i, w, b: F.conv_transpose2d(i, w, b),
        "stride2_pad1_outpad1": lambda i, w, b: F.conv_transpose2d(i, w, b, stride=2, padding=1,
                                                                   output_padding=1),
        "groups2_dil2": lambda i, w, b: F.conv_transpose2d(i, w, b, stride=2, groups=2,
                                                           dilation=2),
        "asymmetric": lambda i, w: F.conv_transpose2d(i, w, None, stride=(2, 1), padding=(0, 1),
                                                      output_padding=(1, 0)),
    },
}


def run_fixture(file, case, fn, dtype, names=("input", "weight", "bias")):
    data = np.load(FIX / f"{file}.npz")
    key = f"{case}/{dtype}/"
    leaves = [ember.tensor(data[key + n], requires_grad=True) for n in names
              if key + n in data]
    out = fn(*leaves)
    outs = out if isinstance(out, tuple) else (out,)
    outs[0].backward(ember.tensor(data[key + "grad_output"]))
    np.testing.assert_allclose(outs[0].detach().numpy(), data[key + "output"], **TOL[dtype])
    if len(outs) > 1:
        np.testing.assert_array_equal(outs[1].numpy(), data[key + "indices"])
    for n, t in zip([n for n in names if key + n in data], leaves):
        np.testing.assert_allclose(t.grad.numpy(), data[key + "grad_" + n], **TOL[dtype],
                                   err_msg=f"grad_{n}")
    assert outs[0].dtype == getattr(ember, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("file,case", [(f, c) for f, cs in CASES.items() for c in cs])
def test_fixture(file, case, dtype):
    run_fixture(file, case, CASES[file][case], dtype)


@pytest.fixture
def decomposition_only():
    """The CPU backend without this area's fast paths: every op runs its decomposition."""
    kernels = ember.tensor(1.0)._be.kernels
    saved = {k: kernels.pop(k) for k in cpu_conv.KERNELS}
    yield
    kernels.update(saved)


@pytest.mark.parametrize("file,case", [(f, c) for f, cs in CASES.items() for c in cs])
def test_fixture_decomposition(file, case, decomposition_only):
    run_fixture(file, case, CASES[file][case], "float64")


# ---- a naive float64 reference ------------------------------------------------------------------

def naive_conv(x, w, b, stride, pads, dilation, groups):
    """Direct N-d cross-correlation, one output element at a time (pads: (lo, hi) pairs)."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + list(pads))
    k = w.shape[2:]
    out_sp = [(xp.shape[2 + i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1
              for i in range(nd)]
    n, cout = x.shape[0], w.shape[0]
    cg, og = w.shape[1], cout // groups
    y = np.zeros((n, cout, *out_sp))
    for idx in np.ndindex(n, cout, *out_sp):
        b_, co, pos = idx[0], idx[1], idx[2:]
        g = co // og
        sl = tuple(slice(p * s, p * s + d * (kk - 1) + 1, d)
                   for p, s, d, kk in zip(pos, stride, dilation, k))
        y[idx] = (xp[(b_, slice(g * cg, (g + 1) * cg)) + sl] * w[co]).sum()
    return y + (0 if b is None else b.reshape((-1,) + (1,) * nd))


def naive_conv_transpose(x, w, stride, padding, output_padding, dilation, groups):
    """Scatter every input element times the kernel into the output (the definition)."""
    nd = x.ndim - 2
    k = w.shape[2:]
    cin, og = w.shape[0], w.shape[1]
    ig = cin // groups
    full = [(x.shape[2 + i] - 1) * stride[i] + dilation[i] * (k[i] - 1) + 1 + output_padding[i]
            for i in range(nd)]
    y = np.zeros((x.shape[0], og * groups, *full))
    for idx in np.ndindex(*x.shape):
        b_, ci, pos = idx[0], idx[1], idx[2:]
        g = ci // ig
        sl = tuple(slice(p * s, p * s + d * (kk - 1) + 1, d)
                   for p, s, d, kk in zip(pos, stride, dilation, k))
        y[(b_, slice(g * og, (g + 1) * og)) + sl] += x[idx] * w[ci]
    crop = tuple(slice(p, f - p) for p, f in zip(padding, full))
    return y[(slice(None), slice(None)) + crop]


CONV_CASES = [
    # (nd, x shape, w shape, stride, padding, dilation, groups)
    (1, (2, 4, 11), (6, 2, 3), (2,), (1,), (2,), 2),
    (1, (1, 3, 8), (2, 3, 4), (1,), "same", (1,), 1),
    (2, (2, 3, 7, 6), (4, 3, 3, 2), (1, 2), (1, 0), (2, 1), 1),
    (2, (1, 4, 6, 6), (4, 1, 3, 3), (2, 2), (1, 1), (1, 1), 4),
    (2, (1, 2, 5, 6), (3, 2, 2, 3), (1, 1), "same", (2, 1), 1),
    (3, (2, 2, 5, 4, 6), (3, 2, 2, 3, 2), (1, 2, 1), (1, 0, 1), (2, 1, 1), 1),
    (3, (1, 4, 4, 4, 4), (4, 2, 3, 3, 3), (2, 1, 1), "valid", (1, 1, 1), 2),
]


def _pairs(padding, k, dilation, nd):
    if padding == "same":
        return [(d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2) for kk, d in zip(k, dilation)]
    if padding == "valid":
        return [(0, 0)] * nd
    return [(p, p) for p in padding]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}d-{c[1]}")
def test_conv_against_naive(case):
    nd, xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    fn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    y = fn(ember.tensor(x), ember.tensor(w), ember.tensor(b), stride, padding, dilation, groups)
    ref = naive_conv(x, w, b, stride, _pairs(padding, ws[2:], dilation, nd), dilation, groups)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


TRANSPOSE_CASES = [
    (1, (2, 4, 5), (4, 3, 3), (3,), (2,), (2,), (1,), 1),
    (2, (2, 4, 3, 4), (4, 3, 3, 2), (2, 2), (1, 1), (1, 1), (1, 2), 2),
    (2, (1, 2, 4, 3), (2, 2, 2, 2), (1, 2), (0, 1), (0, 1), (1, 1), 1),
    (3, (1, 2, 3, 2, 3), (2, 2, 2, 3, 2), (2, 1, 2), (0, 1, 1), (1, 0, 0), (1, 1, 1), 1),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=lambda c: f"{c[0]}d-{c[1]}")
def test_conv_transpose_against_naive(case):
    nd, xs, ws, stride, padding, out_pad, dilation, groups = case
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * groups)
    fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
    y = fn(ember.tensor(x), ember.tensor(w), ember.tensor(b), stride, padding, out_pad, groups,
           dilation)
    ref = naive_conv_transpose(x, w, stride, padding, out_pad, dilation, groups)
    ref = ref + b.reshape((-1,) + (1,) * nd)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_unbatched_and_float32():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((3, 6, 5)).astype(np.float32), \
        rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    y = F.conv2d(ember.tensor(x), ember.tensor(w), padding=1)
    assert y.shape == (2, 6, 5) and y.dtype == ember.float32
    ref = naive_conv(x[None].astype(np.float64), w.astype(np.float64), None, (1, 1),
                     [(1, 1), (1, 1)], (1, 1), 1)[0]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_unfold_fold_against_naive():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 7))
    cols = F.unfold(ember.tensor(x), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    oh, ow = (8 - 2) // 2 + 1, (9 - 5) // 1 + 1
    ref = np.zeros((2, 3, 2, 3, oh, ow))
    for i, j, a, c in np.ndindex(2, 3, oh, ow):
        ref[:, :, i, j, a, c] = xp[:, :, a * 2 + i, c + 2 * j]
    np.testing.assert_array_equal(cols.numpy(), ref.reshape(2, 18, oh * ow))
    # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
    c = rng.standard_normal(cols.shape)
    back = F.fold(ember.tensor(c), (6, 7), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    np.testing.assert_allclose((ref.reshape(c.shape) * c).sum(), (x * back.numpy()).sum(),
                               rtol=1e-12)
    # fold of unfold counts how many blocks cover each pixel
    ones = ember.ones(1, 1, 4, 4, dtype=ember.float64)
    cover = F.fold(F.unfold(ones, 2), (4, 4), 2)
    np.testing.assert_array_equal(cover.numpy()[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2],
                                                        [2, 4, 4, 2], [1, 2, 2, 1]])


# ---- fast path == decomposition, gradcheck ----------------------------------------------------

def _conv_calls(rng):
    t = lambda *s: ember.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    return [
        (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                  groups=2), (t(2, 4, 5, 6), t(6, 2, 3, 2), t(6))),
        (lambda x, w: F.conv1d(x, w, padding="same"), (t(2, 2, 7), t(3, 2, 4))),
        (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                            groups=2, dilation=(1, 2)),
         (t(1, 4, 3, 3), t(4, 1, 3, 2), t(2))),
        (lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1), (t(1, 2, 3, 4, 3),
                                                                    t(2, 2, 2, 2, 2))),
        (lambda x: F.unfold(x, (2, 2), padding=1, stride=(2, 1)), (t(1, 2, 4, 5),)),
        (lambda c: F.fold(c, (4, 5), (2, 2), padding=1, stride=(2, 1)), (t(1, 8, 18),)),
    ]


def _value_and_grads(fn, inputs, seed=0):
    out = fn(*inputs)
    g = ember.tensor(np.random.default_rng(seed).standard_normal(out.shape))
    grads = ember.autograd.grad(out, inputs, g)
    return [out.detach().numpy()] + [gr.numpy() for gr in grads]


def test_fast_path_matches_decomposition():
    rng = np.random.default_rng(4)
    kernels = ember.tensor(1.0)._be.kernels
    for fn, inputs in _conv_calls(rng):
        fast = _value_and_grads(fn, inputs)
        saved = {k: kernels.pop(k) for k in cpu_conv.KERNELS}
        try:
            slow = _value_and_grads(fn, inputs)
        finally:
            kernels.update(saved)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_composites_expose_decomposition():
    from ember.nn.functional import conv

    rng = np.random.default_rng(5)
    x, w = ember.tensor(rng.standard_normal((2, 3, 5, 5))), ember.tensor(
        rng.standard_normal((4, 3, 2, 2)))
    kw = dict(stride=(1, 2), padding=((1, 0), (1, 1)), dilation=(1, 1), groups=1)
    np.testing.assert_allclose(conv.convolution(x, w, None, **kw).numpy(),
                               conv.convolution.decomposition(x, w, None, **kw).numpy(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("i", range(6))
def test_gradcheck(i):
    fn, inputs = _conv_calls(np.random.default_rng(6))[i]
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("i", [0, 2, 4])
def test_gradgradcheck(i):
    fn, inputs = _conv_calls(np.random.default_rng(7))[i]
    assert gradgradcheck(fn, inputs)


def test_backward_runs_through_the_fast_paths():
    x = ember.randn(2, 3, 6, 6, dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, dtype=ember.float64, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert type(y.grad_fn).__name__ == "Node" or y.grad_fn is not None
    assert y.grad_fn.name() == "ConvolutionBackward0"


# ---- errors -------------------------------------------------------------------------------------

def test_errors():
    x = ember.randn(2, 3, 6, 6)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 3, 6, 6\] to have 4 channels"):
        F.conv2d(x, ember.randn(5, 4, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D"):
        F.conv2d(ember.randn(3, 6), ember.randn(5, 3, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        F.conv2d(x, ember.randn(5, 3, 7, 7))
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(x, ember.randn(5, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(x, ember.randn(5, 3, 3, 3, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(x, ember.randn(3, 2, 3, 3), stride=1, output_padding=1)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(ember.randn(1, 5, 9), (4, 4), 2)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)


# ---- layers -------------------------------------------------------------------------------------

def test_conv_modules():
    m = nn.Conv2d(3, 8, 3, padding=1)
    assert tuple(m.weight.shape) == (8, 3, 3, 3) and tuple(m.bias.shape) == (8,)
    assert list(m.state_dict()) == ["weight", "bias"]
    bound = 1 / np.sqrt(27)
    assert np.abs(m.weight.detach().numpy()).max() <= bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound
    assert m(ember.randn(2, 3, 5, 5)).shape == (2, 8, 5, 5)
    assert repr(m) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    m = nn.Conv1d(4, 6, 2, padding="same", groups=2, bias=False, padding_mode="circular")
    assert repr(m) == ("Conv1d(4, 6, kernel_size=(2,), stride=(1,), padding=same, groups=2, "
                       "bias=False, padding_mode=circular)")
    assert m(ember.randn(1, 4, 7)).shape == (1, 6, 7)
    t = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
    assert tuple(t.weight.shape) == (4, 2, 3, 3)
    assert repr(t) == ("ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), "
                       "padding=(1, 1), output_padding=(1, 1))")
    x = ember.randn(1, 4, 5, 5)
    assert t(x).shape == (1, 2, 10, 10)
    assert t(x, output_size=(9, 9)).shape == (1, 2, 9, 9)
    assert nn.Conv3d(2, 3, (1, 2, 3))(ember.randn(1, 2, 3, 4, 5)).shape == (1, 3, 3, 3, 3)
    assert nn.ConvTranspose1d(2, 3, 3)(ember.randn(1, 2, 4)).shape == (1, 3, 6)
    assert nn.ConvTranspose3d(2, 3, 2)(ember.randn(1, 2, 2, 2, 2)).shape == (1, 3, 3, 3, 3)
    assert nn.Unfold(2)(ember.randn(1, 2, 3, 3)).shape == (1, 8, 4)
    assert nn.Fold((3, 3), 2)(ember.randn(1, 8, 4)).shape == (1, 2, 3, 3)


def test_replicate_padding_mode_matches_explicit_pad():
    m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate", dtype=ember.float64)
    x = ember.randn(1, 2, 4, 5, dtype=ember.float64)
    ref = F.conv2d(F.pad(x, (2, 2, 1, 1), mode="replicate"), m.weight, m.bias)
    np.testing.assert_allclose(m(x).detach().numpy(), ref.detach().numpy())


@pytest.mark.parametrize("groups, stride, c_in", [(1, 1, 8), (2, 2, 8), (1, 1, 1)])
def test_training_forward_keeps_columns_for_weight_gradient(groups, stride, c_in):
    # the CPU forward keeps its columns when the weight needs a gradient (Cg·K ≥ 32); the
    # gradients must equal those of the decomposition, which rebuilds everything
    rng = np.random.default_rng(3)
    xa = rng.standard_normal((5, c_in * groups, 9, 8))
    wa = rng.standard_normal((6, c_in, 3, 3))
    ga = rng.standard_normal((5, 6, 9, 8))  # sliced to the output's size
    kw = dict(stride=(stride, stride), padding=((1, 1), (1, 1)), dilation=(1, 1),
              groups=groups)
    from ember.nn.functional.conv import convolution
    grads = []
    for op in (convolution, convolution.decomposition):
        x = ember.tensor(xa, requires_grad=True)
        w = ember.tensor(wa, requires_grad=True)
        b = ember.zeros(6, dtype=ember.float64, requires_grad=True)
        y = op(x, w, b, **kw)
        y.backward(ember.tensor(ga[:, :, :y.shape[2], :y.shape[3]]))
        grads.append([t.grad.numpy() for t in (x, w, b)])
    kept = len(convolution(x, w, b, **kw).grad_fn.saved) == 4
    assert kept == (c_in * 9 >= cpu_conv._FEW_ROWS)
    for a, e in zip(*grads):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_kept_columns_follow_inplace_changes_and_double_backward():
    x = ember.randn(2, 4, 6, 6, dtype=ember.float64)
    w = ember.randn(3, 4, 3, 3, dtype=ember.float64, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    x.add_(1.0)  # the kept columns are stale now: backward must refuse, like PyTorch
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    x = ember.randn(2, 4, 6, 6, dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda a, b: F.conv2d(a, b, padding=1), (x, w))
