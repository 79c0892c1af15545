"""scaled_dot_product_attention, MultiheadAttention and the Transformer modules: PyTorch's
fixtures (values and gradients), NumPy float64 references, masks, fast path vs decomposition,
gradcheck and errors."""

from pathlib import Path

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck
from ember.nn import functional as F
from ember.nn.functional.attention import _attention_decomposition

FIX = Path(__file__).parent / "fixtures" / "layers"
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-4)}


def _close(actual, expected, dt):
    np.testing.assert_allclose(actual.detach().numpy(), expected, **TOL[dt])


# ---- fixtures ---------------------------------------------------------------------------------

SDPA_CALLS = {"basic": {}, "causal": {"is_causal": True}, "causal_rect": {"is_causal": True},
              "bool_mask": {}, "float_mask": {}, "scale_value_dim": {"dropout_p": 0.0,
                                                                     "scale": 0.3}}


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(SDPA_CALLS))
def test_sdpa_fixture(case, dt):
    z = np.load(FIX / "scaled_dot_product_attention.npz")

    def g(n):
        return z[f"{case}/{dt}/{n}"]

    q, k, v = (ember.tensor(g(n), requires_grad=True) for n in ("query", "key", "value"))
    kw = dict(SDPA_CALLS[case])
    if f"{case}/{dt}/attn_mask" in z:
        kw["attn_mask"] = ember.tensor(g("attn_mask"))
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    _close(out, g("output"), dt)
    out.backward(ember.tensor(g("grad_output")))
    for t, n in ((q, "query"), (k, "key"), (v, "value")):
        _close(t.grad, g("grad_" + n), dt)


MHA_CASES = {
    "self_attn": (dict(embed_dim=8, num_heads=2, batch_first=True), ("x", "x", "x"),
                  dict(need_weights=True, average_attn_weights=True)),
    "cross_attn_masks": (dict(embed_dim=8, num_heads=2, batch_first=True),
                         ("query", "key", "value"),
                         dict(need_weights=True, average_attn_weights=False)),
    "seq_first_causal_float_mask": (dict(embed_dim=8, num_heads=4), ("x", "x", "x"),
                                    dict(need_weights=False)),
    "kdim_vdim": (dict(embed_dim=8, num_heads=2, kdim=6, vdim=5, batch_first=True),
                  ("query", "key", "value"), dict(need_weights=True)),
}


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(MHA_CASES))
def test_multihead_attention_fixture(case, dt):
    z = np.load(FIX / "multihead_attention.npz")
    kw, names, call = MHA_CASES[case]
    prefix = f"{case}/{dt}/"
    keys = [k[len(prefix):] for k in z if k.startswith(prefix)]

    def g(n):
        return z[prefix + n]

    m = nn.MultiheadAttention(**kw, dtype=getattr(ember, dt))
    params = {k: ember.tensor(g(k)) for k in keys if "proj" in k and not k.startswith("grad")}
    assert sorted(m.state_dict()) == sorted(params)
    m.load_state_dict(params)
    inputs = {n: ember.tensor(g(n), requires_grad=True) for n in set(names)}
    call = dict(call)
    for mask in ("key_padding_mask", "attn_mask"):
        if mask in keys:
            call[mask] = ember.tensor(g(mask))
    out, weights = m(*(inputs[n] for n in names), **call)
    outs = [("attn_output", out)]
    if call["need_weights"]:
        outs.append(("attn_weights", weights))
    else:
        assert weights is None
    for n, t in outs:
        _close(t, g(n), dt)
    ember.autograd.backward([t for _, t in outs], [ember.tensor(g("grad_" + n)) for n, _ in outs])
    for n, t in inputs.items():
        _close(t.grad, g("grad_" + n), dt)
    for n, p in m.named_parameters():
        _close(p.grad, g("grad_" + n), dt)


# ---- NumPy references -------------------------------------------------------------------------

def np_softmax(s):
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    d = e.sum(-1, keepdims=True)
    return e / np.where(d == 0, 1, d)


def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], bool)), s, -np.inf)
    return np_softmax(s) @ v


def np_layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def np_mha(q, k, v, sd, heads, kpm=None, mask=None, bias_kv=False, zero_attn=False):
    """Batch-first multi-head attention (float masks, or bool = masked out)."""
    e = q.shape[-1]
    w, b = sd["in_proj_weight"], sd["in_proj_bias"]
    qp, kp, vp = q @ w[:e].T + b[:e], k @ w[e:2 * e].T + b[e:2 * e], v @ w[2 * e:].T + b[2 * e:]
    n = q.shape[0]
    if bias_kv:
        kp = np.concatenate([kp, np.broadcast_to(sd["bias_k"], (n, 1, e))], 1)
        vp = np.concatenate([vp, np.broadcast_to(sd["bias_v"], (n, 1, e))], 1)
    split = [x.reshape(n, x.shape[1], heads, -1).transpose(0, 2, 1, 3) for x in (qp, kp, vp)]
    qh, kh, vh = split
    if zero_attn:
        z = np.zeros((n, heads, 1, e // heads))
        kh, vh = np.concatenate([kh, z], 2), np.concatenate([vh, z], 2)
    s_len = kh.shape[2]
    bias = np.zeros((n, 1, q.shape[1], s_len))
    if mask is not None:
        bias[..., :mask.shape[-1]] += np.where(mask, -np.inf, 0) if mask.dtype == bool else mask
    if kpm is not None:
        bias[..., :kpm.shape[-1]] += np.where(kpm, -np.inf, 0)[:, None, None, :]
    o = np_sdpa(qh, kh, vh, bias)
    o = o.transpose(0, 2, 1, 3).reshape(n, q.shape[1], e)
    return o @ sd["out_proj.weight"].T + sd["out_proj.bias"]


def _sd(m):
    return {k: v.numpy() for k, v in m.state_dict().items()}


def _rand(rng, *shape):
    return rng.standard_normal(shape)


# ---- scaled_dot_product_attention -------------------------------------------------------------

def test_sdpa_fast_path_matches_decomposition_and_numpy():
    rng = np.random.default_rng(0)
    q, k, v = _rand(rng, 2, 3, 4, 5), _rand(rng, 2, 3, 6, 5), _rand(rng, 2, 3, 6, 2)
    keep = rng.random((4, 6)) < 0.6
    keep[2] = False  # a query that may attend to nothing: zeros, not NaN
    fmask = _rand(rng, 2, 1, 4, 6)
    for kw, ref in (({"attn_mask": keep}, np_sdpa(q, k, v, keep)),
                    ({"attn_mask": fmask}, np_sdpa(q, k, v, fmask)),
                    ({"is_causal": True}, np_sdpa(q, k, v, causal=True)),
                    ({"scale": 0.7}, np_sdpa(q, k, v, scale=0.7))):
        ts = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
        mask = kw.get("attn_mask")
        tm = None if mask is None else ember.tensor(mask)
        fast = F.scaled_dot_product_attention(*ts, attn_mask=tm, is_causal=kw.get("is_causal",
                                                                                  False),
                                              scale=kw.get("scale"))
        np.testing.assert_allclose(fast.detach().numpy(), ref, rtol=1e-12, atol=1e-13)
        gout = ember.tensor(_rand(rng, *fast.shape))
        grads_fast = ember.autograd.grad(fast, ts, gout)
        slow = _attention_decomposition(*ts, tm, None, scale=kw.get("scale") or 1 / np.sqrt(5),
                                        is_causal=kw.get("is_causal", False))
        np.testing.assert_allclose(slow.detach().numpy(), ref, rtol=1e-12, atol=1e-13)
        grads_slow = ember.autograd.grad(slow, ts, gout)
        for a, b in zip(grads_fast, grads_slow):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                         attn_mask=ember.tensor(keep))
    assert np.all(out.numpy()[:, :, 2] == 0)


def test_sdpa_cpu_output_is_heads_last_in_memory():
    """On the CPU a 4-d (N, H, L, D) output is stored as (N, L, H, D), like PyTorch's flash
    attention, so merging the heads is a view; values are unchanged (broadcast batch too)."""
    rng = np.random.default_rng(3)
    q, k, v = _rand(rng, 2, 3, 4, 5), _rand(rng, 1, 3, 6, 5), _rand(rng, 2, 1, 6, 2)
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v))
    assert tuple(out.shape) == (2, 3, 4, 2)
    assert out.transpose(1, 2).is_contiguous()
    np.testing.assert_allclose(out.numpy(), np_sdpa(q, k, v), rtol=1e-12, atol=1e-13)


def test_sdpa_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(1)
    ts = [ember.tensor(_rand(rng, *s), requires_grad=True) for s in ((2, 3, 4), (2, 5, 4),
                                                                     (2, 5, 3))]
    mask = ember.tensor(_rand(rng, 3, 5), requires_grad=True)
    assert gradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                     (*ts, mask))
    assert ember.autograd.gradgradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), tuple(ts))


def test_sdpa_gqa_broadcast_and_dropout():
    rng = np.random.default_rng(2)
    q, k, v = _rand(rng, 1, 4, 3, 2), _rand(rng, 1, 2, 5, 2), _rand(rng, 1, 2, 5, 2)
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                         enable_gqa=True)
    ref = np_sdpa(q, np.repeat(k, 2, 1), np.repeat(v, 2, 1))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)
    # dropout: zeroed weights, the rest scaled by 1/(1-p); unbiased on average
    qq = ember.zeros(2000, 1, 1, dtype=ember.float64)
    ones = ember.ones(2000, 8, 1, dtype=ember.float64)
    ember.manual_seed(0)
    a = F.scaled_dot_product_attention(qq, ones, ones, dropout_p=0.5)
    ember.manual_seed(0)
    b = F.scaled_dot_product_attention(qq, ones, ones, dropout_p=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    vals = a.numpy().ravel()
    assert np.allclose(vals * 4 % 1, 0)  # multiples of 2 * (1/8)
    assert abs(vals.mean() - 1) < 0.05
    assert np.all(F.scaled_dot_product_attention(qq, ones, ones, dropout_p=1.0).numpy() == 0)


def test_sdpa_errors():
    q = ember.randn(1, 3, 4)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3, dtype=ember.bool),
                                       is_causal=True)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="last dimension of query"):
        F.scaled_dot_product_attention(q, ember.randn(1, 3, 5), q)
    with pytest.raises(ValueError, match="dropout probability"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


# ---- MultiheadAttention -----------------------------------------------------------------------

@pytest.mark.parametrize("bias_kv,zero_attn", [(False, False), (True, False), (True, True),
                                               (False, True)])
def test_mha_vs_numpy(bias_kv, zero_attn):
    rng = np.random.default_rng(3)
    ember.manual_seed(1)
    m = nn.MultiheadAttention(8, 2, add_bias_kv=bias_kv, add_zero_attn=zero_attn,
                              batch_first=True, dtype=ember.float64)
    with ember.no_grad():
        m.in_proj_bias.copy_(ember.tensor(_rand(rng, 24)))
        m.out_proj.bias.copy_(ember.tensor(_rand(rng, 8)))
    q, kv = _rand(rng, 2, 3, 8), _rand(rng, 2, 5, 8)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    mask = rng.random((3, 5)) < 0.3
    mask[:, 0] = False
    out, w = m(ember.tensor(q), ember.tensor(kv), ember.tensor(kv),
               key_padding_mask=ember.tensor(kpm), attn_mask=ember.tensor(mask))
    ref = np_mha(q, kv, kv, _sd(m), 2, kpm, mask, bias_kv, zero_attn)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    assert tuple(w.shape) == (2, 3, 5 + bias_kv + zero_attn)
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, rtol=1e-12)
    # seq-first, functional form and need_weights=False give the same output
    m.batch_first = False
    out2, none = m(ember.tensor(q.transpose(1, 0, 2)), ember.tensor(kv.transpose(1, 0, 2)),
                   ember.tensor(kv.transpose(1, 0, 2)), key_padding_mask=ember.tensor(kpm),
                   attn_mask=ember.tensor(mask), need_weights=False)
    assert none is None
    np.testing.assert_allclose(out2.detach().numpy().transpose(1, 0, 2), ref, rtol=1e-10,
                               atol=1e-12)


def test_mha_unbatched_causal_and_functional():
    rng = np.random.default_rng(4)
    m = nn.MultiheadAttention(6, 3, dtype=ember.float64)
    x = _rand(rng, 4, 6)
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    out, w = m(ember.tensor(x), ember.tensor(x), ember.tensor(x), attn_mask=causal,
               average_attn_weights=False)
    assert tuple(out.shape) == (4, 6) and tuple(w.shape) == (3, 4, 4)
    ref = np_mha(x[None], x[None], x[None], _sd(m), 3, mask=causal.numpy())[0]
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    hint, _ = m(ember.tensor(x), ember.tensor(x), ember.tensor(x), attn_mask=causal,
                is_causal=True, need_weights=False)
    np.testing.assert_allclose(hint.detach().numpy(), ref, rtol=1e-10, atol=1e-12)
    fo, fw = F.multi_head_attention_forward(
        ember.tensor(x[:, None]), ember.tensor(x[:, None]), ember.tensor(x[:, None]), 6, 3,
        m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight,
        m.out_proj.bias, attn_mask=causal)
    np.testing.assert_allclose(fo.detach().numpy()[:, 0], ref, rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(ember.tensor(x), ember.tensor(x), ember.tensor(x), is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask"):
        m(ember.tensor(x), ember.tensor(x), ember.tensor(x), attn_mask=ember.zeros(3, 3))


def test_mha_gradcheck_and_params():
    rng = np.random.default_rng(5)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, dtype=ember.float64)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias",
                     "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight is None
    assert "NonDynamicallyQuantizableLinear(in_features=4, out_features=4" in repr(m)
    q = ember.tensor(_rand(rng, 3, 2, 4), requires_grad=True)
    k = ember.tensor(_rand(rng, 4, 2, 3), requires_grad=True)
    v = ember.tensor(_rand(rng, 4, 2, 5), requires_grad=True)
    assert gradcheck(lambda q, k, v: m(q, k, v)[0], (q, k, v))
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 2)


# ---- Transformer ------------------------------------------------------------------------------

def np_encoder_layer(x, sd, heads, norm_first, act, kpm=None):
    def ln(y, i):
        return np_layer_norm(y, sd[f"norm{i}.weight"], sd[f"norm{i}.bias"])

    def sa(y):
        sub = {k[len("self_attn."):]: v for k, v in sd.items() if k.startswith("self_attn.")}
        return np_mha(y, y, y, sub, heads, kpm=kpm)

    def ff(y):
        h = act(y @ sd["linear1.weight"].T + sd["linear1.bias"])
        return h @ sd["linear2.weight"].T + sd["linear2.bias"]

    if norm_first:
        x = x + sa(ln(x, 1))
        return x + ff(ln(x, 2))
    x = ln(x + sa(x), 1)
    return ln(x + ff(x), 2)


def _erf(x):
    from math import erf

    return np.vectorize(erf)(x)


@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu")])
def test_encoder_layer_vs_numpy(norm_first, activation):
    rng = np.random.default_rng(6)
    ember.manual_seed(2)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, activation=activation,
                                       batch_first=True, norm_first=norm_first,
                                       dtype=ember.float64).eval()
    with ember.no_grad():
        for p in layer.parameters():
            if p.ndim == 1:
                p.copy_(ember.tensor(rng.standard_normal(p.shape) * 0.5))
    act = (lambda y: np.maximum(y, 0)) if activation == "relu" else \
        (lambda y: 0.5 * y * (1 + _erf(y / np.sqrt(2))))
    x = _rand(rng, 2, 5, 8)
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    out = layer(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    ref = np_encoder_layer(x, _sd(layer), 2, norm_first, act, kpm)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-9, atol=1e-11)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8, dtype=ember.float64)).eval()
    assert "layers.1.self_attn.in_proj_weight" in enc.state_dict()
    two = enc(ember.tensor(x))
    ref2 = np_layer_norm(np_encoder_layer(np_encoder_layer(x, _sd(layer), 2, norm_first, act),
                                          _sd(layer), 2, norm_first, act), 1.0, 0.0)
    np.testing.assert_allclose(two.detach().numpy(), ref2, rtol=1e-9, atol=1e-11)


def test_transformer_state_dict_causal_and_training():
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=16, dropout=0.0, batch_first=True)
    keys = list(model.state_dict())
    for key in ("encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.linear1.weight",
                "encoder.norm.weight", "decoder.layers.0.multihead_attn.out_proj.bias",
                "decoder.layers.0.norm3.bias", "decoder.norm.bias"):
        assert key in keys
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.numpy(), np.triu(np.full((3, 3), -np.inf), 1))
    src, tgt = ember.randn(2, 4, 8), ember.randn(2, 3, 8)
    out = model(src, tgt, tgt_mask=mask)
    hinted = model(src, tgt, tgt_mask=mask, tgt_is_causal=True)
    np.testing.assert_allclose(out.detach().numpy(), hinted.detach().numpy(), atol=1e-5)
    # the decoder is causal: changing the last target step leaves earlier outputs unchanged
    tgt2 = tgt.clone()
    tgt2[:, 2] = 0.0
    np.testing.assert_allclose(model(src, tgt2, tgt_mask=mask).detach().numpy()[:, :2],
                               out.detach().numpy()[:, :2], atol=1e-5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(ember.randn(1, 4, 8), tgt)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
