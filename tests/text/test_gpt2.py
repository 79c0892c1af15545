"""GPT2LMHeadModel: HF's key names / shapes / parameter count, the forward pass against a
NumPy float64 reimplementation, KV-cache generation against recomputation, and the sampling
filters against transformers' published test values."""

import json

import numpy as np
import pytest

import ember
from ember_text.models import GPT2Config, GPT2LMHeadModel, no_init_weights
from ember_text.models.sampling import top_k_filter, top_p_filter

TINY = GPT2Config(vocab_size=97, n_positions=32, n_embd=32, n_layer=2, n_head=4)


@pytest.fixture(scope="module")
def tiny():
    ember.manual_seed(0)
    return GPT2LMHeadModel(TINY).eval()


def test_gpt2_small_keys_shapes_and_parameter_count():
    with no_init_weights():
        model = GPT2LMHeadModel(GPT2Config())  # gpt2 (small) defaults
    # HF's published count for gpt2: 124,439,808 (the tied lm_head counted once)
    assert sum(p.numel() for p in model.parameters()) == 124_439_808
    sd = model.state_dict()
    block = ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
             "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
             "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]
    expected = (["transformer.wte.weight", "transformer.wpe.weight"]
                + [f"transformer.h.{i}.{name}" for i in range(12) for name in block]
                + ["transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight"])
    assert list(sd) == expected
    # Conv1D layout: (in_features, out_features)
    assert tuple(sd["transformer.h.0.attn.c_attn.weight"].shape) == (768, 2304)
    assert tuple(sd["transformer.h.0.mlp.c_fc.weight"].shape) == (768, 3072)
    assert tuple(sd["transformer.h.0.mlp.c_proj.weight"].shape) == (3072, 768)
    assert tuple(sd["transformer.wte.weight"].shape) == (50257, 768)
    assert tuple(sd["transformer.wpe.weight"].shape) == (1024, 768)
    assert model.lm_head.weight is model.transformer.wte.weight


def _np_reference_logits(sd, ids, cfg):
    """GPT-2's forward in NumPy float64, straight from the paper / HF's code."""
    w = {k: v.detach().numpy().astype(np.float64) for k, v in sd.items()}

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + cfg.layer_norm_epsilon) * w[p + ".weight"] + w[p + ".bias"]

    def gelu_new(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    b, length = ids.shape
    hd = cfg.n_embd // cfg.n_head
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][np.arange(length)]
    causal = np.tril(np.ones((length, length), dtype=bool))
    for i in range(cfg.n_layer):
        p = f"transformer.h.{i}."
        qkv = ln(x, p + "ln_1") @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (t.reshape(b, length, cfg.n_head, hd).transpose(0, 2, 1, 3)
                   for t in np.split(qkv, 3, axis=-1))
        scores = np.where(causal, q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd), -np.inf)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        attn = (probs @ v).transpose(0, 2, 1, 3).reshape(b, length, cfg.n_embd)
        x = x + attn @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = gelu_new(ln(x, p + "ln_2") @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return ln(x, "transformer.ln_f") @ w["transformer.wte.weight"].T


def test_forward_matches_numpy_float64(tiny):
    ids = np.array([[5, 17, 3, 88, 42, 0, 9], [1, 2, 3, 4, 5, 6, 7]])
    with ember.no_grad():
        logits = tiny(ember.tensor(ids)).logits.numpy()
    np.testing.assert_allclose(logits, _np_reference_logits(tiny.state_dict(), ids, TINY),
                               rtol=0, atol=2e-5)


def test_loss_is_shifted_next_token_cross_entropy(tiny):
    ids = ember.tensor([[5, 17, 3, 88, 42]])
    labels = ember.tensor([[5, 17, -100, 88, 42]])
    with ember.no_grad():
        out = tiny(ids, labels=labels)
    logp = out.logits[0].numpy().astype(np.float64)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    targets = [(0, 17), (2, 88), (3, 42)]  # position 1 predicts the ignored label
    expected = -np.mean([logp[pos, tok] for pos, tok in targets])
    assert out.loss.item() == pytest.approx(expected, abs=1e-5)


def test_kv_cache_logits_equal_recomputation(tiny):
    ids = ember.tensor([[5, 17, 3, 88, 42, 0, 9, 11]])
    with ember.no_grad():
        full = tiny(ids).logits.numpy()
        out = tiny(ids[:, :5], use_cache=True)
        steps = [out.logits.numpy()]
        past = out.past_key_values
        assert len(past) == 2 and tuple(past[0][0].shape) == (1, 4, 5, 8)
        for t in range(5, 8):
            out = tiny(ids[:, t:t + 1], past_key_values=past, use_cache=True)
            past = out.past_key_values
            steps.append(out.logits.numpy())
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=0, atol=1e-5)


def test_generate_greedy_and_sampling_cache_equals_no_cache(tiny):
    ids = ember.tensor([[5, 17, 3], [1, 2, 3]])
    greedy = tiny.generate(ids, max_new_tokens=12)
    assert tuple(greedy.shape) == (2, 15) and greedy[:, :3].tolist() == ids.tolist()
    assert greedy.tolist() == tiny.generate(ids, max_new_tokens=12, use_cache=False).tolist()
    # greedy = argmax of the recomputed logits at every step
    seq = ids
    for _ in range(12):
        with ember.no_grad():
            seq = ember.cat([seq, tiny(seq).logits[:, -1].argmax(-1)[:, None]], dim=1)
    assert greedy.tolist() == seq.tolist()
    for kwargs in ({"top_k": 10}, {"top_p": 0.8}, {"top_k": 20, "top_p": 0.9,
                                                   "temperature": 0.7}):
        a = tiny.generate(ids, 12, do_sample=True, generator=ember.Generator().manual_seed(1),
                          **kwargs)
        b = tiny.generate(ids, 12, do_sample=True, generator=ember.Generator().manual_seed(1),
                          use_cache=False, **kwargs)
        assert a.tolist() == b.tolist(), kwargs


def test_generate_top_k_1_is_greedy_and_eos_stops(tiny):
    ids = ember.tensor([[5, 17, 3]])
    greedy = tiny.generate(ids, 8)
    assert tiny.generate(ids, 8, do_sample=True, top_k=1).tolist() == greedy.tolist()
    eos = greedy[0, 3].item()  # the first generated token
    stopped = tiny.generate(ids, 8, eos_token_id=eos)
    assert stopped[0].tolist() == greedy[0, :4].tolist()  # ends right after the eos
    # in a batch, a finished row is padded while the other goes on: find a second prompt
    # whose free continuation never produces the first row's eos
    other = next(p for p in ([i, i + 1, i + 2] for i in range(90))
                 if eos not in tiny.generate(ember.tensor([p]), 6)[0, 3:].tolist())
    batch = ember.tensor([[5, 17, 3], other])
    free = tiny.generate(batch, 6)
    out = tiny.generate(batch, 6, eos_token_id=eos, pad_token_id=96)
    assert out[1].tolist() == free[1].tolist()
    assert out[0, 3:].tolist() == [eos] + [96] * 5
    with pytest.raises(ValueError, match="temperature"):
        tiny.generate(ids, 2, do_sample=True, temperature=0)


def test_top_k_filter_transformers_values():
    # transformers tests/generation/test_logits_process.py::test_top_k_dist_warper
    ramp = np.tile(np.arange(10, dtype=np.float32), (2, 1))
    ramp[1, :5] = ramp[1, 5:] + 10
    out = top_k_filter(ember.tensor(ramp), 3).numpy()
    assert np.isinf(out[0]).tolist() == 7 * [True] + 3 * [False]
    assert np.isinf(out[1]).tolist() == 2 * [True] + 3 * [False] + 5 * [True]


def test_top_p_filter_transformers_values():
    # transformers tests/generation/test_logits_process.py::test_top_p_dist_warper
    dist = np.log(np.array([[0.3, 0.1, 0.1, 0.5], [0.15, 0.3, 0.3, 0.25]], dtype=np.float32))
    out = top_p_filter(ember.tensor(dist), 0.8)
    probs = np.exp(out.numpy())  # the test exponentiates the filtered log-probabilities
    np.testing.assert_allclose(probs, [[0.3, 0.0, 0.0, 0.5], [0.0, 0.3, 0.3, 0.25]],
                               atol=1e-3)
    with pytest.raises(ValueError, match="top_p"):
        top_p_filter(ember.tensor(dist), 1.5)


def test_from_pretrained_hf_layout(tiny, tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    # the layout of the hub's gpt2 checkpoint: no "transformer." prefix, no lm_head, and the
    # old causal-mask buffers
    state = {k.removeprefix("transformer."): v.detach().numpy()
             for k, v in tiny.state_dict().items() if k != "lm_head.weight"}
    for i in range(TINY.n_layer):
        state[f"h.{i}.attn.bias"] = np.tril(np.ones((1, 1, 32, 32), dtype=np.float32))
    safetensors_numpy.save_file(state, str(tmp_path / "model.safetensors"))
    config = {k: getattr(TINY, k) for k in ("vocab_size", "n_positions", "n_embd", "n_layer",
                                            "n_head")}
    (tmp_path / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    loaded = GPT2LMHeadModel.from_pretrained(tmp_path)
    ids = ember.tensor([[5, 17, 3, 88]])
    with ember.no_grad():
        np.testing.assert_array_equal(loaded(ids).logits.numpy(), tiny(ids).logits.numpy())
    assert loaded.lm_head.weight is loaded.transformer.wte.weight


def test_errors(tiny):
    with pytest.raises(ValueError, match="exceeds n_positions"):
        tiny(ember.zeros(1, 33, dtype=ember.long))
    with pytest.raises(ValueError, match="input_ids must be"):
        tiny(ember.tensor([1, 2]))
    with pytest.raises(ValueError, match="not a multiple"):
        GPT2Config(n_embd=30, n_head=4)


def test_padding_mask_left_padded_batch(tiny):
    # a left-padded row gives the same last logits as the unpadded sequence when the padding
    # is masked and positions start at the first real token
    ids = ember.tensor([[0, 0, 5, 17, 3]])
    mask = ember.tensor([[0, 0, 1, 1, 1]])
    positions = ember.tensor([[0, 0, 0, 1, 2]])
    with ember.no_grad():
        padded = tiny(ids, attention_mask=mask, position_ids=positions).logits[0, 2:].numpy()
        plain = tiny(ember.tensor([[5, 17, 3]])).logits[0].numpy()
    np.testing.assert_allclose(padded, plain, rtol=0, atol=1e-5)
