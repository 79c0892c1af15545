"""The backend conformance kit: run it against any device type with

    python -m pytest --pyargs ember.testing.conformance --ember-device NAME

For every OpInfo of ``ember.testing.op_db`` and each of its dtypes it checks, on the device:

- ``test_forward``: each sample's result (dtype, shape, values) against the same call on the CPU,
  where floating-point inputs are first widened to float64 (and the result dtype against the
  CPU's in the same dtype);
- ``test_grad``: ``ember.autograd.grad`` with a random cotangent against the CPU float64 one;
- ``test_gradcheck`` (device ``cpu`` only): ``gradcheck``, and ``gradgradcheck`` when the OpInfo
  asks for it, in float64.

Device-level tests follow: moving data, views that write through, in-place ops and version
counters, ``numpy()`` on the device, mixing devices, and a small MLP trained with manual SGD.

A dtype the device cannot hold (its ``from_numpy``/``full`` raise) is skipped with the reason
printed in the kit's summary; nothing else is skipped.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.testing.op_db import all_ops
from ember.testing.opinfo import OpInfo, Sample

OPS: list[OpInfo] = all_ops()
HALF = ("float16", "bfloat16")
FLOATING = ("float32", "float64") + HALF
_HALF_TOL = (1e-2, 1e-2)  # (atol, rtol) for float16/bfloat16 against float64


# ---- collection -------------------------------------------------------------------------------

def pytest_generate_tests(metafunc):
    """Parametrise the op tests; gradcheck tests exist only when the device is the CPU."""
    names = metafunc.fixturenames
    if "op" not in names:
        return
    device = ember.device(metafunc.config.getoption("--ember-device"))
    if "dtype" in names:
        grad_only = metafunc.function.__name__ == "test_grad"
        cases = [pytest.param(op, dt, id=f"{op.name}-{dt}") for op in OPS for dt in op.dtypes
                 if not grad_only or (op.grad and dt in FLOATING)]
        metafunc.parametrize("op,dtype", cases)
        return
    want = "gradgrad" if metafunc.function.__name__ == "test_gradgradcheck" else "grad"
    if device.type == "cpu":
        cases = [pytest.param(op, id=op.name) for op in OPS if getattr(op, want)]
    else:  # one visible skip: the device's gradients are compared with the CPU's by test_grad
        cases = [pytest.param(None, id="not-cpu", marks=pytest.mark.skip(
            reason=f"{want}check runs on the CPU only (float64 finite differences); on "
                   f"'{device}', test_grad compares gradients with the CPU's"))]
    metafunc.parametrize("op", cases)


@pytest.fixture(scope="session")
def device(request) -> ember.device:
    """The device under test (``--ember-device``); the run stops if it does not exist here."""
    name = request.config.getoption("--ember-device")
    try:
        dev = ember.device(name)
        ember.zeros(1, device=dev)
    except Exception as exc:  # noqa: BLE001 - any reason the device can't be used stops the kit
        pytest.exit(f"ember conformance kit: device '{name}' cannot be used: "
                    f"{type(exc).__name__}: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    return dev


_dtype_support: dict = {}


def require_dtype(device, dtype_name: str) -> None:
    """Skip (with the device's own reason) when ``device`` cannot hold ``dtype_name`` tensors."""
    key = (device, dtype_name)
    if key not in _dtype_support:
        reason = None
        try:
            dt = getattr(ember, dtype_name)
            ember.zeros(2, dtype=dt, device=device)
            ember.tensor(np.zeros(2, np.float32)).to(dt).to(device).cpu()
        except (TypeError, RuntimeError, ValueError) as exc:
            reason = f"device '{device}' does not support {dtype_name}: {type(exc).__name__}: {exc}"
        _dtype_support[key] = reason
    if _dtype_support[key]:
        pytest.skip(_dtype_support[key])


def _seed(*parts) -> int:
    return zlib.crc32("-".join(map(str, parts)).encode())


# ---- building calls -------------------------------------------------------------------------

def _to_tensor(a: np.ndarray, dtype_name: str, device, reference: bool):
    t = ember.tensor(a)
    if dtype_name == "bfloat16" and t.dtype.is_floating_point:
        t = t.to(ember.bfloat16)  # NumPy draws bfloat16 samples as float32
    if reference and t.dtype.is_floating_point:
        t = t.to(ember.float64)
    return t.to(device)


def _build(sample: Sample, dtype_name, device, reference=False, grad=False):
    """(args, kwargs, grad inputs) of ``sample`` as tensors on ``device``."""
    inputs = []

    def convert(i, a):
        if not isinstance(a, (np.ndarray, np.generic)):
            return a  # a Python value, passed as is
        a = np.asarray(a)  # NumPy scalars (0-d samples) become 0-d tensors too
        t = _to_tensor(a, dtype_name, device, reference)
        wanted = sample.grad_args is None and t.dtype.is_floating_point or \
            sample.grad_args is not None and i in sample.grad_args
        if grad and wanted:
            t.requires_grad_(True)
            inputs.append(t)
        return t

    args = tuple(convert(i, a) for i, a in enumerate(sample.args))
    kwargs = {k: convert(None, v) for k, v in sample.kwargs.items()}
    return args, kwargs, inputs


def _outputs(result) -> list:
    if isinstance(result, ember.Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [r for r in result if isinstance(r, ember.Tensor)]
    raise TypeError(f"op returned {type(result).__name__}, not a tensor or a tuple of tensors")


def _tolerance(op: OpInfo, dtype_name: str, out_dtype) -> tuple:
    """(atol, rtol) for comparing a result with the float64 reference: the loosest of the
    sample dtype's and the result dtype's."""
    names = {dtype_name, out_dtype.to_real().name if out_dtype.is_complex else out_dtype.name}
    if names & set(HALF):
        return max(_HALF_TOL[0], op.atol32), max(_HALF_TOL[1], op.rtol32)
    if "float32" in names:
        return op.atol32, op.rtol32
    return op.atol, op.rtol


def _check(actual, expected, op, dtype_name, what: str) -> None:
    """``actual`` (any device) close to the float64 CPU ``expected``, values only."""
    a = actual.detach().cpu()
    e = expected.detach().cpu()
    floating = a.dtype.is_floating_point or a.dtype.is_complex
    if floating:
        atol, rtol = _tolerance(op, dtype_name, a.dtype)
        a = a.to(ember.complex128 if a.dtype.is_complex else ember.float64)
        e = e.to(a.dtype)
    else:
        atol = rtol = 0.0
    assert_close(a, e, atol=atol, rtol=rtol, equal_nan=True, check_dtype=floating,
                 msg=lambda m: f"{op.name} [{dtype_name}] {what}: {m}")


# ---- op tests ---------------------------------------------------------------------------------

def test_forward(op: OpInfo, dtype: str, device) -> None:
    """Every sample on the device matches the CPU (float64 reference; dtypes like the CPU's)."""
    require_dtype(device, dtype)
    rng = np.random.default_rng(_seed(op.name, dtype))
    for i, sample in enumerate(op.samples(rng, dtype)):
        args, kwargs, _ = _build(sample, dtype, device)
        outs = _outputs(op.fn(*args, **kwargs))
        cargs, ckwargs, _ = _build(sample, dtype, "cpu")
        same = _outputs(op.fn(*cargs, **ckwargs))
        rargs, rkwargs, _ = _build(sample, dtype, "cpu", reference=True)
        refs = _outputs(op.fn(*rargs, **rkwargs))
        assert len(outs) == len(refs), f"{op.name}: {len(outs)} outputs on {device}, " \
                                       f"{len(refs)} on the CPU"
        for j, (out, cpu, ref) in enumerate(zip(outs, same, refs)):
            where = f"sample {i}, output {j}"
            assert out.device.type == device.type, \
                f"{op.name} {where}: result on {out.device}, expected {device}"
            assert out.dtype is cpu.dtype, \
                f"{op.name} {where}: dtype {out.dtype} on {device}, {cpu.dtype} on the CPU"
            if j not in op.skip_outputs:
                _check(out, ref, op, dtype, f"{where} on {device} vs CPU float64")


def test_grad(op: OpInfo, dtype: str, device) -> None:
    """Gradients (random cotangents) on the device match the CPU float64 ones."""
    require_dtype(device, dtype)
    rng = np.random.default_rng(_seed(op.name, dtype, "grad"))
    for i, sample in enumerate(op.samples(rng, dtype)):
        args, kwargs, inputs = _build(sample, dtype, device, grad=True)
        rargs, rkwargs, rinputs = _build(sample, dtype, "cpu", reference=True, grad=True)
        if not inputs:
            continue  # a sample with no floating-point tensor argument has no gradient
        outs = [o for o in _outputs(op.fn(*args, **kwargs)) if o.requires_grad]
        refs = [o for o in _outputs(op.fn(*rargs, **rkwargs)) if o.requires_grad]
        assert outs, f"{op.name} sample {i}: declared differentiable but no output requires grad"
        assert len(outs) == len(refs)
        cots, rcots = [], []
        for o in outs:
            host = ember.tensor(rng.standard_normal(tuple(o.shape)), dtype=ember.float64)
            c = host.to(o.dtype)  # the reference sees the device's rounded cotangent
            cots.append(c.to(device))
            rcots.append(c.to(ember.float64))
        grads = ember.autograd.grad(outs, inputs, cots, allow_unused=True)
        rgrads = ember.autograd.grad(refs, rinputs, rcots, allow_unused=True)
        for k, (g, r) in enumerate(zip(grads, rgrads)):
            where = f"sample {i}, gradient of input {k}"
            assert (g is None) == (r is None), \
                f"{op.name} {where}: {'None' if g is None else 'a tensor'} on {device}, " \
                f"{'None' if r is None else 'a tensor'} on the CPU"
            if g is not None:
                assert g.shape == inputs[k].shape and g.dtype is inputs[k].dtype, \
                    f"{op.name} {where}: {g.dtype}{list(g.shape)} for an input " \
                    f"{inputs[k].dtype}{list(inputs[k].shape)}"
                assert g.device.type == device.type
                _check(g, r, op, dtype, f"{where} on {device} vs CPU float64")


def _gradcheck_cases(op: OpInfo):
    """(function of the grad inputs, grad inputs) per float64 CPU sample of ``op``."""
    rng = np.random.default_rng(_seed(op.name, "gradcheck"))
    for sample in op.samples(rng, "float64"):
        args, kwargs, inputs = _build(sample, "float64", "cpu", grad=True)
        if not inputs:
            continue
        slots = [next(j for j, a in enumerate(args) if a is t) for t in inputs]

        def fn(*xs, args=args, kwargs=kwargs, slots=slots):
            full = list(args)
            for j, x in zip(slots, xs):
                full[j] = x
            out = op.fn(*full, **kwargs)
            return tuple(_outputs(out))

        yield fn, tuple(inputs)


def test_gradcheck(op: OpInfo) -> None:
    """Autograd's Jacobian matches finite differences (CPU, float64)."""
    for fn, inputs in _gradcheck_cases(op):
        assert ember.autograd.gradcheck(fn, inputs)


def test_gradgradcheck(op: OpInfo) -> None:
    """Second derivatives match finite differences of the first (CPU, float64)."""
    for fn, inputs in _gradcheck_cases(op):
        assert ember.autograd.gradgradcheck(fn, inputs)


# ---- device-level tests -------------------------------------------------------------------------

def _non_cpu(device) -> None:
    if device.type == "cpu":
        pytest.skip("needs a non-CPU device: on the CPU there is nothing to mix or convert")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8",
                                   "bool"])
@pytest.mark.parametrize("shape", [(2, 3), (), (0, 3)], ids=["2x3", "scalar", "empty"])
def test_to_device_round_trip(device, dtype, shape) -> None:
    require_dtype(device, dtype)
    host = (np.arange(int(np.prod(shape))) % 5 - 2).reshape(shape).astype(dtype)
    t = ember.from_numpy(host).to(device)
    assert t.device.type == device.type and t.shape == shape and t.dtype is getattr(ember, dtype)
    assert t.to(device) is t  # already there: no copy
    back = t.cpu()
    assert back.device == ember.device("cpu")
    np.testing.assert_array_equal(back.numpy(), host)
    made = ember.tensor(host, device=device)
    np.testing.assert_array_equal(made.cpu().numpy(), host)
    assert ember.zeros(shape, dtype=t.dtype, device=device).device.type == device.type


def test_device_indices(device) -> None:
    """Tensors on each device index stay there and carry it through ops."""
    backend = ember.backends.get_backend(device.type)
    count = backend.device_count()
    for index in range(count if device.type != "cpu" else 0):
        dev = ember.device(device.type, index)
        t = ember.arange(6.0).to(dev)
        out = (t * 2).sum()
        assert out.device == dev
        assert backend.device_index(out._data) in (index, None)
        assert out.item() == 30.0
    beyond = ember.device(device.type, count) if device.type != "cpu" else None
    if beyond is not None:
        with pytest.raises(RuntimeError, match=str(beyond)):
            ember.zeros(2, device=beyond)


def test_views_write_through(device) -> None:
    base = ember.arange(12.0).reshape(3, 4).to(device)
    expected = np.arange(12.0).reshape(3, 4)
    tv = base.t()
    assert not tv.is_contiguous() and tv.stride() == (1, 4)
    tv[1].fill_(-1.0)  # column 1 of base
    expected[:, 1] = -1.0
    sl = base[1:, 2:]
    assert sl.storage_offset() == 6 and sl.stride() == (4, 1)
    sl.mul_(10.0)
    expected[1:, 2:] *= 10.0
    flat = base.view(-1)
    flat[0] = 100.0
    expected[0, 0] = 100.0
    base[2, ::2] = ember.tensor([7.0, 8.0], device=device)
    expected[2, ::2] = [7.0, 8.0]
    np.testing.assert_array_equal(base.cpu().numpy(), expected.astype(np.float32))
    np.testing.assert_array_equal(tv.cpu().numpy(), expected.T.astype(np.float32))
    np.testing.assert_array_equal(tv.contiguous().cpu().numpy(), expected.T.astype(np.float32))
    strided = base.as_strided((2, 2), (1, 4), 1)
    np.testing.assert_array_equal(strided.cpu().numpy(),
                                  expected.reshape(-1)[[[1, 5], [2, 6]]].astype(np.float32))


def test_inplace_and_version_counter(device) -> None:
    x = ember.ones(4, device=device)
    v = x[1:3]
    start = x._version
    x.add_(1.0)
    assert x._version == start + 1 and v._version == x._version  # shared by views
    v.mul_(3.0)
    assert x._version == start + 2
    np.testing.assert_array_equal(x.cpu().numpy(), [2.0, 6.0, 6.0, 2.0])
    a = ember.tensor([0.5, 1.0, 1.5], device=device, requires_grad=True)
    b = a.exp()  # exp saves its output
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
    c = a * 1.0
    c.mul_(2.0)  # allowed: mul by a constant needs no saved c
    c.sum().backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    assert a.grad.device.type == device.type


def test_numpy_on_device(device) -> None:
    t = ember.arange(3.0).to(device)
    if device.type == "cpu":
        arr = t.numpy()
        arr[0] = 5.0  # zero-copy on the CPU, like PyTorch
        assert t[0].item() == 5.0
        return
    with pytest.raises(TypeError, match=device.type):
        t.numpy()
    np.testing.assert_array_equal(t.cpu().numpy(), [0.0, 1.0, 2.0])


def test_mixing_devices_raises(device) -> None:
    _non_cpu(device)
    d = ember.ones(3, device=device)
    c = ember.ones(3)
    for fn in (lambda: d + c, lambda: ember.mul(c, d), lambda: ember.where(c > 0, d, c)):
        with pytest.raises(RuntimeError) as info:
            fn()
        msg = str(info.value)
        assert "cpu" in msg and device.type in msg, msg
    assert (d + ember.tensor(2.0)).device.type == device.type  # 0-d CPU tensors may mix
    if ember.backends.get_backend(device.type).device_count() >= 2:
        d0 = ember.ones(3, device=ember.device(device.type, 0))
        d1 = ember.ones(3, device=ember.device(device.type, 1))
        with pytest.raises(RuntimeError) as info:
            d0 + d1
        assert f"{device.type}:0" in str(info.value) and f"{device.type}:1" in str(info.value)


def _linear(x, w, b):
    # (n, i) x (i, o) without matmul: broadcasting and a sum, all differentiable
    return (x.unsqueeze(2) * w.unsqueeze(0)).sum(1) + b


def _train(device, steps=5) -> list:
    rng = np.random.default_rng(0)
    data = {k: rng.standard_normal(s).astype(np.float32) for k, s in
            [("x", (8, 4)), ("y", (8, 2)), ("w1", (4, 6)), ("b1", (6,)), ("w2", (6, 2)),
             ("b2", (2,))]}
    x, y = (ember.tensor(data[k], device=device) for k in ("x", "y"))
    params = [ember.tensor(data[k], device=device, requires_grad=True)
              for k in ("w1", "b1", "w2", "b2")]
    losses = []
    for _ in range(steps):
        w1, b1, w2, b2 = params
        hidden = _linear(x, w1, b1).tanh()
        loss = ((_linear(hidden, w2, b2) - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        with ember.no_grad():
            for p in params:
                assert p.grad is not None and p.grad.device.type == device.type
                p -= 0.1 * p.grad
                p.grad = None
    return losses


def test_mlp_training_matches_cpu(device) -> None:
    on_device = _train(device)
    on_cpu = _train(ember.device("cpu"))
    assert on_device[-1] < on_device[0]
    np.testing.assert_allclose(on_device, on_cpu, rtol=1e-5, atol=1e-6)
