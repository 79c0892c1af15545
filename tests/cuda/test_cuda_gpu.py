"""ember-cuda on a real GPU (skipped elsewhere): the CUDA C fast paths against the ``xp`` kernels
they replace, ``ember.cuda``'s runtime functions (memory, streams, events, devices), AMP, and the
examples trained on ``cuda`` against the CPU. The conformance kit itself runs in
``plugins/cuda/gpu_check.sh`` (``--ember-device cuda``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not ember.cuda.is_available(),
                                 reason=f"needs a CUDA GPU: {ember.backends.get_backend('cuda').unavailable_reason()}")]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DTYPES = ["float32", "float64", "float16", "bfloat16"]
TOL = {"float32": 1e-5, "float64": 1e-12, "float16": 4e-3, "bfloat16": 3.2e-2}  # ~4 ulps


@pytest.fixture(scope="module")
def api():
    return ember.backends.get_backend("cuda").api


@pytest.fixture(scope="module")
def kernels(api):
    """(fused CUDA C kernels, the xp kernels they replace) on the same CuPy arrays."""
    from ember_cuda import fast_math, fast_nn, fused

    generic = {**fast_math.kernels(api), **fast_nn.kernels(api)}
    return fused.kernels(api), generic


def _rand(api, shape, dtype, seed=0, scale=3.0):
    host = np.random.default_rng(seed).standard_normal(shape) * scale
    return api.xp.asarray(host.astype(np.float32)).astype(getattr(ember, dtype).np)


def _close(api, actual, expected, dtype, tol=None):
    a = api.to_host(actual).astype(np.float64)
    e = api.to_host(expected).astype(np.float64)
    tol = TOL[dtype] if tol is None else tol
    np.testing.assert_allclose(a, e, rtol=tol, atol=tol, equal_nan=True)


# ---- fused kernels against the xp ones ---------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "sigmoid"])
def test_elementwise_kernels(api, kernels, name, dtype):
    fused, generic = kernels
    x = _rand(api, (7, 333), dtype)
    kw = {"approximate": "tanh"} if name == "gelu_tanh" else {}
    op = "gelu" if name == "gelu_tanh" else name
    _close(api, fused[op](x, **kw), generic[op](x, **kw), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cols", [1, 33, 1000, 4097])
def test_softmax_rows(api, kernels, cols, dtype):
    fused, generic = kernels
    x = _rand(api, (5, cols), dtype)
    x[1] = -np.inf  # a fully masked row
    x[2, 0] = np.nan
    for name in ("softmax", "log_softmax"):
        _close(api, fused[name](x, 1), generic[name](x, 1), dtype)
    # the attention path's "safe" softmax: the fully masked row gives zeros. Half-precision
    # scores stay in half precision on the fused path (the xp one computes in float32)
    q = _rand(api, (2, 3, 4, 8), dtype, seed=1, scale=1.0)
    tol = 3e-2 if dtype in ("float16", "bfloat16") else None
    mask = api.xp.asarray(np.random.default_rng(2).random((4, 4)) > 0.3)
    mask[0] = False
    out, p = fused["scaled_dot_product_attention"](q, q, q, mask, None, scale=0.3)
    ref_out, ref_p = generic["scaled_dot_product_attention"](q, q, q, mask, None, scale=0.3)
    _close(api, p, ref_p, dtype, tol)
    _close(api, out, ref_out, dtype, tol)
    assert not bool(api.xp.isnan(p).any())
    g = _rand(api, out.shape, dtype, seed=3, scale=1.0)
    name = "scaled_dot_product_attention_backward"
    for a, e in zip(fused[name](g, q, q, q, ref_p, None, scale=0.3),
                    generic[name](g, q, q, q, ref_p, None, scale=0.3)):
        _close(api, a, e, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cols", [7, 256, 3000])
def test_layer_norm_rows(api, kernels, cols, dtype):
    fused, generic = kernels
    x = _rand(api, (9, cols), dtype) + 5
    w = _rand(api, (1, cols), dtype, seed=1, scale=1.0)
    b = _rand(api, (1, cols), dtype, seed=2, scale=1.0)
    g = _rand(api, (9, cols), dtype, seed=3, scale=1.0)
    for weight, bias in ((w, b), (None, None)):
        got = fused["native_norm"](x, weight, bias, (1,), 1e-5)
        ref = generic["native_norm"](x, weight, bias, (1,), 1e-5)
        for a, e in zip(got, ref):
            _close(api, a, e, dtype)
        mean, invstd = ref[1], ref[2]
        args = (g, x, weight, mean, invstd, (1,), (1, cols), weight is not None, bias is not None)
        for a, e in zip(fused["native_norm_backward"](*args), generic["native_norm_backward"](*args)):
            if e is not None:
                _close(api, a, e, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_rows(api, kernels, dtype):
    fused, generic = kernels
    x = _rand(api, (64, 1000), dtype)
    t = api.xp.asarray(np.random.default_rng(4).integers(0, 1000, 64))
    t[3] = -100
    for smoothing in (0.0, 0.1):
        got = fused["cross_entropy_nll"](x, t, None, -100, smoothing)
        ref = generic["cross_entropy_nll"](x, t, None, -100, smoothing)
        for a, e in zip(got, ref):
            _close(api, a, e, dtype)
        coef = _rand(api, (64,), dtype, seed=5, scale=1.0)
        args = (x, ref[1], t, None, coef, -100, smoothing)
        _close(api, fused["cross_entropy_nll_backward"](*args),
               generic["cross_entropy_nll_backward"](*args), dtype)


# ---- ember.cuda: devices, memory, streams, events ----------------------------------------------

def test_devices():
    n = ember.cuda.device_count()
    assert n >= 1 and ember.cuda.current_device() == 0
    assert isinstance(ember.cuda.get_device_name(), str) and ember.cuda.get_device_name()
    props = ember.cuda.get_device_properties(0)
    assert props.name == ember.cuda.get_device_name() and props.multi_processor_count > 0
    free, total = ember.cuda.mem_get_info()
    assert 0 < free <= total == props.total_memory
    assert ember.cuda.is_bf16_supported() == (props.major >= 8)
    assert ember.zeros(2, device="cuda").device == ember.device("cuda", 0)
    with pytest.raises(RuntimeError, match=f"cuda:{n}"):
        ember.zeros(2, device=f"cuda:{n}")
    ember.cuda.set_device(n - 1)
    try:
        t = ember.ones(4, device="cuda")
        assert t.device.index == n - 1
        assert ember.backends.get_backend("cuda").device_index(t._data) == n - 1
        assert (t * 2).sum().item() == 8.0 and (t * 2).device.index == n - 1
    finally:
        ember.cuda.set_device(0)


def test_memory_statistics():
    ember.cuda.synchronize()
    ember.cuda.reset_peak_memory_stats()
    before = ember.cuda.memory_allocated()
    big = ember.empty(16 * 1024 * 1024, device="cuda")  # 64 MiB of float32
    assert ember.cuda.memory_allocated() - before >= 64 * 2 ** 20
    assert ember.cuda.max_memory_allocated() >= before + 64 * 2 ** 20
    del big
    assert ember.cuda.memory_allocated() == before
    assert ember.cuda.max_memory_allocated() >= before + 64 * 2 ** 20  # the peak stays
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() == before
    reserved = ember.cuda.memory_reserved()
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() <= reserved


def test_events_time_work_and_streams_order_it():
    a = ember.randn(2048, 2048, device="cuda")
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(5):
        b = a @ a
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) > 0
    side = ember.cuda.Stream()
    side.wait_stream(ember.cuda.current_stream())
    with ember.cuda.stream(side):
        c = (b * 0 + 1).sum()
    ember.cuda.current_stream().wait_stream(side)
    assert c.item() == 2048 * 2048
    side.synchronize()
    assert isinstance(side, ember.cuda.Stream) and side.query()


def test_tf32_precision_switch():
    assert ember.cuda.get_float32_matmul_precision() == "highest"
    ember.cuda.set_float32_matmul_precision("high")
    try:
        assert ember.cuda.get_float32_matmul_precision() == "high"
        x = ember.randn(256, 256, device="cuda")
        ref = x.cpu().double() @ x.cpu().double()
        np.testing.assert_allclose((x @ x).cpu().double().numpy(), ref.numpy(), rtol=0,
                                   atol=0.05 * 16)  # TF32: 10-bit mantissa products
    finally:
        ember.cuda.set_float32_matmul_precision("highest")


def test_manual_seed_gives_the_cpu_numbers():
    ember.manual_seed(7)
    on_gpu = ember.randn(5, device="cuda").cpu().numpy()
    ember.manual_seed(7)
    np.testing.assert_array_equal(on_gpu, ember.randn(5).numpy())


# ---- AMP ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_autocast_on_cuda(dtype):
    half = getattr(ember, dtype)
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(64, 128), ember.nn.GELU(),
                                ember.nn.LayerNorm(128), ember.nn.Linear(128, 10)).to("cuda")
    x = ember.randn(32, 64, device="cuda")
    with ember.autocast("cuda", dtype=half):
        y = model(x)
        assert y.dtype is half
    np.testing.assert_allclose(y.float().cpu().detach().numpy(),
                               model(x).cpu().detach().numpy(), atol=0.05, rtol=0.05)


def test_amp_training_with_grad_scaler_matches_float32():
    def train(amp: bool) -> list:
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(20, 64), ember.nn.ReLU(),
                                    ember.nn.Linear(64, 3)).to("cuda")
        opt = ember.optim.SGD(model.parameters(), lr=0.1)
        scaler = ember.amp.GradScaler("cuda", enabled=amp)
        x = ember.randn(128, 20, device="cuda")
        y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
        losses = []
        for _ in range(30):
            opt.zero_grad()
            with ember.autocast("cuda", enabled=amp):
                loss = ember.nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
        return losses

    full, mixed = train(False), train(True)
    assert mixed[-1] < 0.7 * mixed[0]
    np.testing.assert_allclose(mixed, full, rtol=0.05, atol=0.02)


# ---- the examples, on cuda and on the CPU --------------------------------------------------------

def _run_example(script, *args):
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True,
                          text=True, timeout=600, cwd=EXAMPLES.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [float(v) for v in re.findall(r"loss (\d+\.\d+)", proc.stdout)]


@pytest.mark.parametrize("script, args, rtol", [
    ("train_mlp.py", ("--steps", "200"), 1e-2),
    ("train_char_transformer.py", ("--steps", "50", "--target", "9"), 2e-2),
])
def test_example_losses_match_the_cpu(script, args, rtol):
    if not (EXAMPLES / script).exists():
        pytest.skip(f"{script} is not in the repository")
    on_gpu = _run_example(script, *args, "--device", "cuda")
    on_cpu = _run_example(script, *args, "--device", "cpu")
    assert len(on_gpu) == len(on_cpu) >= 1
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=rtol)
