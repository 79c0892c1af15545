"""BertModel and SentenceEmbedding on the real all-MiniLM-L6-v2 weights against the outputs
of transformers 5.24 / sentence-transformers 6.2 (fixtures/reference.npz)."""

import json
import shutil

import numpy as np
import pytest

import ember

pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")
from ember_text.models import BertConfig, BertModel, SentenceEmbedding  # noqa: E402
from ember_text.tokenizers import SubwordTokenizer  # noqa: E402


@pytest.fixture(scope="module")
def model(minilm_dir):
    return BertModel.from_pretrained(minilm_dir)


@pytest.fixture(scope="module")
def encoded(minilm_dir, minilm_reference):
    tok = SubwordTokenizer.from_pretrained(minilm_dir)
    sentences = [str(s) for s in minilm_reference["sentences"]]
    return tok(sentences, padding=True, truncation=True, max_length=256)


def _mean_pool(hidden, mask):
    m = mask[..., None].astype(hidden.dtype)
    return (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)


def test_state_dict_keys_match_the_checkpoint(model, minilm_dir):
    from safetensors.numpy import load_file

    saved = set(load_file(str(minilm_dir / "model.safetensors")))
    assert set(model.state_dict()) == saved - {"embeddings.position_ids"}
    assert "encoder.layer.5.attention.self.query.weight" in saved


def test_last_hidden_state_first_sentence(model, minilm_dir, minilm_reference):
    tok = SubwordTokenizer.from_pretrained(minilm_dir)
    enc = tok(str(minilm_reference["sentences"][0]))  # no padding: 9 tokens
    with ember.no_grad():
        out = model(**enc)
    hidden = out.last_hidden_state[0].numpy()
    assert hidden.shape == (9, 384)
    np.testing.assert_allclose(hidden, minilm_reference["last_hidden_state_first"], rtol=0,
                               atol=1e-4)
    # the pooler: tanh(W h_cls + b), with the reference's [CLS] vector, in float64
    sd = model.state_dict()
    w = sd["pooler.dense.weight"].numpy().astype(np.float64)
    b = sd["pooler.dense.bias"].numpy().astype(np.float64)
    expected = np.tanh(w @ minilm_reference["last_hidden_state_first_float64"][0] + b)
    np.testing.assert_allclose(out.pooler_output[0].numpy(), expected, rtol=0, atol=1e-4)
    assert out[0] is out.last_hidden_state


def test_batch_embeddings_and_cosine_float32(model, encoded, minilm_reference):
    with ember.no_grad():
        hidden = model(**encoded).last_hidden_state.numpy()
    raw = _mean_pool(hidden, encoded["attention_mask"].numpy())
    np.testing.assert_allclose(raw, minilm_reference["embeddings_raw"], rtol=0, atol=1e-4)
    normed = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(normed, minilm_reference["embeddings_normalized"], rtol=0,
                               atol=1e-5)
    np.testing.assert_allclose(normed @ normed.T, minilm_reference["cosine"], rtol=0, atol=1e-5)


def test_batch_embeddings_float64(minilm_dir, encoded, minilm_reference):
    model64 = BertModel.from_pretrained(minilm_dir).double()
    with ember.no_grad():
        hidden = model64(**encoded).last_hidden_state.numpy()
    assert hidden.dtype == np.float64
    raw = _mean_pool(hidden, encoded["attention_mask"].numpy())
    np.testing.assert_allclose(raw, minilm_reference["embeddings_raw_float64"], rtol=0,
                               atol=1e-9)
    normed = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(normed @ normed.T, minilm_reference["cosine_float64"], rtol=0,
                               atol=1e-9)


def test_sentence_embedding_pipeline(minilm_dir, minilm_reference):
    st = SentenceEmbedding.from_pretrained(minilm_dir)
    assert st.max_seq_length == 256 and st.normalize
    sentences = [str(s) for s in minilm_reference["sentences"]]
    emb = st.encode(sentences, batch_size=4).numpy()  # batches padded differently: same result
    np.testing.assert_allclose(emb, minilm_reference["st_encode"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-6)
    cos = emb @ emb.T
    np.testing.assert_allclose(cos, minilm_reference["cosine"], rtol=0, atol=1e-5)
    assert cos[0, 4] > 0.7  # the uppercase paraphrase: text is lowercased before WordPiece
    raw = st.encode(sentences, normalize_embeddings=False).numpy()
    np.testing.assert_allclose(raw, minilm_reference["st_encode_unnormalized"], rtol=0,
                               atol=1e-4)
    assert tuple(st.encode(sentences[0]).shape) == (384,)


def test_pytorch_model_bin_and_prefixed_keys(minilm_dir, model, tmp_path):
    # the same weights as a PyTorch checkpoint of a task model (keys "bert.…"), read through
    # ember.load(weights_only=True)
    state = {"bert." + k: v for k, v in model.state_dict().items()}
    state["classifier.weight"] = ember.zeros(2, 384)
    ember.save(state, tmp_path / "pytorch_model.bin")
    shutil.copy(minilm_dir / "config.json", tmp_path / "config.json")
    loaded = BertModel.from_pretrained(tmp_path)
    ids = ember.tensor([[101, 1037, 2158, 102]])
    with ember.no_grad():
        np.testing.assert_array_equal(loaded(ids).last_hidden_state.numpy(),
                                      model(ids).last_hidden_state.numpy())


def test_missing_weight_and_bad_inputs(model, tmp_path, minilm_dir):
    state = dict(model.state_dict())
    del state["encoder.layer.0.output.dense.weight"]
    ember.save(state, tmp_path / "pytorch_model.bin")
    shutil.copy(minilm_dir / "config.json", tmp_path / "config.json")
    with pytest.raises(RuntimeError, match="encoder.layer.0.output.dense.weight"):
        BertModel.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="input_ids must be"):
        model(ember.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="attention_mask shape"):
        model(ember.tensor([[1, 2, 3]]), attention_mask=ember.tensor([[1, 1]]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        BertModel.from_pretrained(tmp_path / "empty")


def test_corrupt_safetensors_is_a_clear_error(minilm_dir, tmp_path):
    shutil.copy(minilm_dir / "config.json", tmp_path / "config.json")
    data = (minilm_dir / "model.safetensors").read_bytes()[:4096]  # truncated download
    (tmp_path / "model.safetensors").write_bytes(data)
    with pytest.raises(ValueError, match="cannot read the safetensors file .*model.safetensors"):
        BertModel.from_pretrained(tmp_path)


def test_config_from_dict_and_errors():
    cfg = BertConfig.from_dict({"hidden_size": 64, "num_attention_heads": 4,
                                "architectures": ["BertModel"]})
    assert cfg.hidden_size == 64 and json.loads(cfg.to_json_string())["model_type"] == "bert"
    with pytest.raises(ValueError, match="not a multiple"):
        BertConfig(hidden_size=65, num_attention_heads=4)
    with pytest.raises(ValueError, match="position_embedding_type"):
        BertConfig.from_dict({"position_embedding_type": "relative_key"})


def test_small_bert_trains(minilm_reference):
    # gradients flow through every parameter of a tiny randomly initialised BERT
    ember.manual_seed(0)
    cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=16)
    model = BertModel(cfg)
    ids = ember.randint(1, 50, (3, 8))
    mask = ember.ones(3, 8, dtype=ember.long)
    out = model(ids, attention_mask=mask)
    assert out.hidden_states is None  # a field not asked for reads as None, as in HF
    with pytest.raises(AttributeError, match="no field 'logits'"):
        _ = out.logits
    (out.last_hidden_state.sum() + out.pooler_output.sum()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []


def test_semantic_search_scores_published_by_sentence_transformers(minilm_dir):
    # the semantic-search example of the sentence-transformers documentation (all-MiniLM-L6-v2)
    # prints these cosine scores, to 4 decimals
    st = SentenceEmbedding.from_pretrained(minilm_dir)
    corpus = st.encode(["A man is eating food.", "A man is eating a piece of bread.",
                        "A man is riding a horse.", "A monkey is playing drums.",
                        "A cheetah is running behind its prey."])
    queries = st.encode(["A man is eating pasta.",
                         "Someone in a gorilla costume is playing a set of drums.",
                         "A cheetah chases prey on across a field."])
    scores = (queries @ corpus.T).numpy()
    np.testing.assert_allclose([scores[0, 0], scores[0, 1], scores[0, 2], scores[1, 3],
                                scores[2, 4]], [0.7035, 0.5272, 0.1889, 0.6433, 0.8253],
                               atol=1e-4)
