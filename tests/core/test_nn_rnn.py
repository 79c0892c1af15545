"""RNN / LSTM / GRU and their cells, and ``nn.utils.rnn``: PyTorch's fixtures (values and
gradients), NumPy float64 references, packed sequences, gradcheck and errors."""

from pathlib import Path

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck
from ember.nn.utils import rnn as rnn_utils

FIX = Path(__file__).parent / "fixtures" / "layers"
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-4)}


def _close(actual, expected, dt):
    np.testing.assert_allclose(actual.detach().numpy(), expected, **TOL[dt])


# ---- fixtures ---------------------------------------------------------------------------------

LSTM_CASES = {
    "1layer_batch_first": dict(num_layers=1),
    "2layer_batch_first": dict(num_layers=2),
    "1layer_no_state": dict(num_layers=1),
    "bidirectional_batch_first": dict(num_layers=1, bidirectional=True),
}
GRU_CASES = {"1layer_batch_first": dict(num_layers=1), "2layer_batch_first": dict(num_layers=2)}


def _run_fixture(file, cls, case, kw, dt, lstm):
    z = np.load(FIX / file)
    prefix = f"{case}/{dt}/"
    keys = [k[len(prefix):] for k in z if k.startswith(prefix)]

    def g(n):
        return z[prefix + n]

    m = cls(input_size=3, hidden_size=4, bias=True, batch_first=True, dtype=getattr(ember, dt),
            **kw)
    params = {k: ember.tensor(g(k)) for k in keys if k.startswith(("weight_", "bias_"))}
    assert list(m.state_dict()) == [k for k in keys if k.startswith(("weight_", "bias_"))]
    m.load_state_dict(params)
    x = ember.tensor(g("input"), requires_grad=True)
    inputs, args = [("input", x)], [x]
    if "h0" in keys:
        h0 = ember.tensor(g("h0"), requires_grad=True)
        inputs.append(("h0", h0))
        if lstm:
            c0 = ember.tensor(g("c0"), requires_grad=True)
            inputs.append(("c0", c0))
            args.append((h0, c0))
        else:
            args.append(h0)
    if lstm:
        out, (h, c) = m(*args)
        outs = [("output", out), ("h_n", h), ("c_n", c)]
    else:
        out, h = m(*args)
        outs = [("output", out), ("h_n", h)]
    for n, t in outs:
        _close(t, g(n), dt)
    ember.autograd.backward([t for _, t in outs], [ember.tensor(g("grad_" + n)) for n, _ in outs])
    for n, t in inputs:
        _close(t.grad, g("grad_" + n), dt)
    for n, p in m.named_parameters():
        _close(p.grad, g("grad_" + n), dt)


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(LSTM_CASES))
def test_lstm_fixture(case, dt):
    _run_fixture("lstm.npz", nn.LSTM, case, LSTM_CASES[case], dt, True)


@pytest.mark.parametrize("dt", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(GRU_CASES))
def test_gru_fixture(case, dt):
    _run_fixture("gru.npz", nn.GRU, case, GRU_CASES[case], dt, False)


# ---- NumPy references -------------------------------------------------------------------------

def sig(x):
    return 1 / (1 + np.exp(-x))


def np_cell(mode, x, h, c, p, sfx=""):
    """One step of RNN_TANH/RNN_RELU/GRU/LSTM from the parameter dict ``p``."""
    wi, wh = p["weight_ih" + sfx], p["weight_hh" + sfx]
    bi = p.get("bias_ih" + sfx, 0)
    bh = p.get("bias_hh" + sfx, 0)
    gi, gh = x @ wi.T + bi, h @ wh.T + bh
    if mode == "GRU":
        H = h.shape[-1]
        r = sig(gi[:, :H] + gh[:, :H])
        z = sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    if mode == "LSTM":
        H = c.shape[-1]
        g = gi + gh
        i, f, gg, o = sig(g[:, :H]), sig(g[:, H:2 * H]), np.tanh(g[:, 2 * H:3 * H]), \
            sig(g[:, 3 * H:])
        c = f * c + i * gg
        h = o * np.tanh(c)
        if "weight_hr" + sfx in p:
            h = h @ p["weight_hr" + sfx].T
        return h, c
    y = gi + gh
    return (np.tanh(y) if mode == "RNN_TANH" else np.maximum(y, 0)), None


def np_rnn(mode, x, p, layers, bidir, h0=None, c0=None):
    """(T, B, F) → output (T, B, D·H), h_n, c_n."""
    D = 2 if bidir else 1
    inp, hs, cs = x, [], []
    for layer in range(layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            h, c = h0[layer * D + d], None if c0 is None else c0[layer * D + d]
            seq = [None] * len(inp)
            for t in (range(len(inp)) if d == 0 else range(len(inp) - 1, -1, -1)):
                h, c = np_cell(mode, inp[t], h, c, p, sfx)
                seq[t] = h
            outs.append(np.stack(seq))
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, -1)
    return inp, np.stack(hs), (np.stack(cs) if c0 is not None else None)


def _params(m):
    return {k: v.detach().numpy() for k, v in m.named_parameters()}


@pytest.mark.parametrize("cls,kw,mode", [
    (nn.RNN, {}, "RNN_TANH"),
    (nn.RNN, {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}, "RNN_RELU"),
    (nn.GRU, {"num_layers": 2, "bidirectional": True}, "GRU"),
    (nn.LSTM, {"num_layers": 2, "proj_size": 2, "bidirectional": True}, "LSTM"),
    (nn.LSTM, {"bias": False}, "LSTM"),
])
def test_recurrent_vs_numpy(cls, kw, mode):
    rng = np.random.default_rng(0)
    ember.manual_seed(0)
    m = cls(3, 4, dtype=ember.float64, **kw)
    layers, D = m.num_layers, 2 if m.bidirectional else 1
    hsize = m.proj_size or 4
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((layers * D, 2, hsize))
    c0 = rng.standard_normal((layers * D, 2, 4))
    ref_out, ref_h, ref_c = np_rnn(mode, x, _params(m), layers, D == 2, h0,
                                   c0 if mode == "LSTM" else None)
    hx = (ember.tensor(h0), ember.tensor(c0)) if mode == "LSTM" else ember.tensor(h0)
    out, state = m(ember.tensor(x), hx)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-10, atol=1e-12)
    h = state[0] if mode == "LSTM" else state
    np.testing.assert_allclose(h.detach().numpy(), ref_h, rtol=1e-10, atol=1e-12)
    if mode == "LSTM":
        np.testing.assert_allclose(state[1].detach().numpy(), ref_c, rtol=1e-10, atol=1e-12)
    # unbatched input: the batch dim dropped everywhere
    out1, state1 = m(ember.tensor(x[:, 0]), tuple(s[:, 0] for s in hx) if mode == "LSTM"
                     else hx[:, 0])
    np.testing.assert_allclose(out1.detach().numpy(), ref_out[:, 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,mode", [(nn.RNNCell, "RNN_TANH"), (nn.GRUCell, "GRU"),
                                      (nn.LSTMCell, "LSTM")])
def test_cells_vs_numpy(cls, mode):
    rng = np.random.default_rng(1)
    m = cls(3, 4, dtype=ember.float64)
    assert [n for n, _ in m.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih",
                                                    "bias_hh"]
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    ref_h, ref_c = np_cell(mode, x, h, c, _params(m))
    if mode == "LSTM":
        out_h, out_c = m(ember.tensor(x), (ember.tensor(h), ember.tensor(c)))
        np.testing.assert_allclose(out_c.detach().numpy(), ref_c, rtol=1e-12)
        h1, _ = m(ember.tensor(x[0]))
        ref1, _ = np_cell(mode, x[:1], np.zeros((1, 4)), np.zeros((1, 4)), _params(m))
    else:
        out_h = m(ember.tensor(x), ember.tensor(h))
        h1 = m(ember.tensor(x[0]))
        ref1, _ = np_cell(mode, x[:1], np.zeros((1, 4)), None, _params(m))
    np.testing.assert_allclose(out_h.detach().numpy(), ref_h, rtol=1e-12)
    np.testing.assert_allclose(h1.detach().numpy(), ref1[0], rtol=1e-12)
    with pytest.raises(RuntimeError, match="input has inconsistent input_size"):
        m(ember.randn(2, 5, dtype=ember.float64))


def test_gradcheck_lstm_proj_and_gru():
    ember.manual_seed(3)
    lstm = nn.LSTM(2, 3, proj_size=2, bidirectional=True, dtype=ember.float64)
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x: lstm(x)[0], (x,))
    cell = nn.GRUCell(2, 3, dtype=ember.float64)
    h = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, h: cell(x, h), (x[0], h))


# ---- packed sequences -------------------------------------------------------------------------

def test_pack_pad_roundtrip_and_utils():
    seqs = [ember.tensor(np.arange(n * 2, dtype=np.float64).reshape(n, 2) + 10 * n)
            for n in (2, 4, 1)]
    padded = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert tuple(padded.shape) == (3, 4, 2)
    assert np.all(padded.numpy()[0, 2:] == -1)
    left = rnn_utils.pad_sequence(seqs, padding_side="left")
    np.testing.assert_array_equal(left.numpy()[2:, 0], seqs[0].numpy())
    packed = rnn_utils.pack_padded_sequence(padded, [2, 4, 1], batch_first=True,
                                            enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    np.testing.assert_array_equal(packed.data.numpy()[:3], np.stack([s.numpy()[0] for s in
                                                                    (seqs[1], seqs[0], seqs[2])]))
    back, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, padding_value=-1.0,
                                                  total_length=5)
    assert lengths.tolist() == [2, 4, 1] and tuple(back.shape) == (3, 5, 2)
    np.testing.assert_array_equal(back.numpy()[:, :4], padded.numpy())
    for a, b in zip(rnn_utils.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(rnn_utils.unpad_sequence(padded, [2, 4, 1], batch_first=True), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        rnn_utils.pack_sequence(seqs)
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn_utils.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(ValueError, match="padding_side"):
        rnn_utils.pad_sequence(seqs, padding_side="middle")


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
def test_packed_input_matches_per_sequence(cls):
    rng = np.random.default_rng(4)
    ember.manual_seed(4)
    m = cls(3, 4, num_layers=2, bidirectional=True, dtype=ember.float64)
    lengths = [3, 5, 2]
    seqs = [ember.tensor(rng.standard_normal((n, 3)), requires_grad=True) for n in lengths]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    out, state = m(packed)
    assert isinstance(out, rnn_utils.PackedSequence)
    padded, lens = rnn_utils.pad_packed_sequence(out)
    assert lens.tolist() == lengths
    h_n = state[0] if cls is nn.LSTM else state
    for b, s in enumerate(seqs):  # each sequence alone, unbatched
        o1, s1 = m(s.detach())
        h1 = s1[0] if cls is nn.LSTM else s1
        np.testing.assert_allclose(padded.detach().numpy()[:lengths[b], b],
                                   o1.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert np.all(padded.detach().numpy()[lengths[b]:, b] == 0)
        np.testing.assert_allclose(h_n.detach().numpy()[:, b], h1.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    padded.sum().backward()
    assert all(s.grad is not None and s.grad.shape == s.shape for s in seqs)


def test_rnn_module_api_and_errors():
    m = nn.LSTM(3, 4, num_layers=2, proj_size=2, bidirectional=True, batch_first=True)
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert "weight_hr_l1_reverse" in names
    assert tuple(m.weight_ih_l1.shape) == (16, 4) and tuple(m.weight_hh_l0.shape) == (16, 2)
    assert all(np.abs(p.detach().numpy()).max() <= 0.5 for p in m.parameters())
    assert repr(m) == "LSTM(3, 4, proj_size=2, num_layers=2, batch_first=True, bidirectional=True)"
    out, (h, c) = m(ember.randn(2, 5, 3))
    assert tuple(out.shape) == (2, 5, 4) and tuple(h.shape) == (4, 2, 2) and \
        tuple(c.shape) == (4, 2, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        m(ember.randn(2, 5, 4))
    with pytest.raises(RuntimeError, match="Expected hidden\\[0\\] size"):
        m(ember.randn(2, 5, 3), (ember.zeros(4, 2, 4), ember.zeros(4, 2, 4)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        nn.GRU(3, 4)(ember.randn(3))
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        nn.GRU(3, 4)(ember.randn(5, 2, 3), ember.zeros(2, 4))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number"):
        nn.GRU(3, 4, dropout=2)
    with pytest.warns(UserWarning, match="dropout option adds dropout"):
        nn.GRU(3, 4, dropout=0.5)
    # inter-layer dropout only in training mode
    g = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = ember.randn(4, 2, 3)
    g.eval()
    np.testing.assert_array_equal(g(x)[0].detach().numpy(), g(x)[0].detach().numpy())
