"""SubwordTokenizer: the MiniLM WordPiece tokenizer against the ids transformers produced
(fixtures/tokens.json, reference.npz), and BPE / Unigram tokenizers against the tokenizers
library's own encoders."""

import json
from pathlib import Path

import numpy as np
import pytest

import ember

tokenizers = pytest.importorskip("tokenizers")
from ember_text.tokenizers import SubwordTokenizer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"

TOKENS = json.loads((FIXTURES / "tokens.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=["tokenizer.json", "vocab.txt"])
def minilm_tokenizer(request, minilm_dir):
    if request.param == "tokenizer.json":
        return SubwordTokenizer.from_pretrained(minilm_dir)
    return SubwordTokenizer.from_wordpiece_vocab(minilm_dir / "vocab.txt", lowercase=True)


def test_untruncated_tokens_and_ids(minilm_tokenizer):
    for sentence, tokens, ids in zip(TOKENS["sentences"], TOKENS["tokens_untruncated"],
                                     TOKENS["input_ids_untruncated"]):
        got = minilm_tokenizer.encode(sentence)
        assert got == ids
        assert [minilm_tokenizer.id_to_token(i) for i in got] == tokens


def test_batch_padding_truncation_matches_transformers(minilm_tokenizer, minilm_reference):
    sentences = [str(s) for s in minilm_reference["sentences"]]
    enc = minilm_tokenizer(sentences, padding=True, truncation=True, max_length=256)
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        assert isinstance(enc[key], ember.Tensor) and enc[key].dtype == ember.int64
        np.testing.assert_array_equal(enc[key].numpy(), minilm_reference[key], err_msg=key)
    # the truncated sentence keeps its [SEP] at position 255
    assert enc.input_ids[1, 255].item() == 102


def test_tokenizer_json_fixed_padding_is_not_applied(minilm_dir):
    # tokenizer.json enables Fixed(128) padding and truncation at 128; like transformers, the
    # call's arguments decide instead
    tok = SubwordTokenizer.from_pretrained(minilm_dir)
    assert tok.pad_token == "[PAD]" and tok.pad_token_id == 0
    assert tok("A man is playing a guitar.", return_tensors=None)["input_ids"] == \
        TOKENS["input_ids_untruncated"][0]
    long = TOKENS["sentences"][1]
    assert len(tok(long, return_tensors=None)["input_ids"]) == 283
    enc = tok(["short", long], padding="max_length", truncation=True, max_length=128)
    assert tuple(enc["input_ids"].shape) == (2, 128)
    assert enc["attention_mask"].numpy().sum(1).tolist() == [3, 128]
    # truncation=True without max_length uses model_max_length (512 from tokenizer_config)
    assert tok.model_max_length == 512
    assert tuple(tok([long], truncation=True)["input_ids"].shape) == (1, 283)


def test_decode_and_errors(minilm_dir):
    tok = SubwordTokenizer.from_pretrained(minilm_dir)
    enc = tok(["Café crème", "A MAN"], padding=True)
    assert tok.batch_decode(enc["input_ids"]) == ["cafe creme", "a man"]
    pads = enc["input_ids"].shape[1] - 4
    assert pads >= 1
    assert tok.decode(enc["input_ids"][1], skip_special_tokens=False) == \
        "[CLS] a man [SEP]" + " [PAD]" * pads
    with pytest.raises(ValueError, match="different lengths"):
        tok(["a b c", "a"])
    with pytest.raises(ValueError, match="padding must be"):
        tok(["a"], padding="sideways")
    with pytest.raises(TypeError, match="list of str"):
        tok(["a", 3])
    with pytest.raises(FileNotFoundError, match="no tokenizer.json"):
        SubwordTokenizer.from_pretrained(FIXTURES)


def test_bad_tokenizer_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such tokenizer file"):
        SubwordTokenizer.from_file(tmp_path / "tokenizer.json")
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read the tokenizer file .*tokenizer.json"):
        SubwordTokenizer.from_file(tmp_path / "tokenizer.json")


CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A lazy dog sleeps all day long in the sun.",
    "Quick thinking saves the day; brown bread is tasty!",
    "Dogs and foxes are not friends, usually.",
] * 5


def test_byte_level_bpe_files(tmp_path):
    trained = tokenizers.ByteLevelBPETokenizer()
    trained.train_from_iterator(CORPUS, vocab_size=300, min_frequency=1,
                                special_tokens=["<pad>", "<|endoftext|>"])
    trained.save_model(str(tmp_path))
    tok = SubwordTokenizer.from_pretrained(tmp_path)  # vocab.json + merges.txt
    reference = tokenizers.ByteLevelBPETokenizer(str(tmp_path / "vocab.json"),
                                                 str(tmp_path / "merges.txt"))
    texts = ["the lazy fox", "Brown dogs jump quickly over foxes!"]
    enc = tok(texts, padding=True)
    for row, text in enumerate(texts):
        ids = reference.encode(text).ids
        n = len(ids)
        assert enc["input_ids"][row, :n].tolist() == ids
        assert enc["attention_mask"][row].tolist() == [1] * n + [0] * (enc["input_ids"].shape[1] - n)
        assert set(enc["input_ids"][row, n:].tolist()) <= {tok.pad_token_id}
        assert tok.decode(ids) == text  # byte-level BPE is lossless
    assert tok.pad_token == "<pad>"


def test_unigram_tokenizer_json(tmp_path):
    trained = tokenizers.SentencePieceUnigramTokenizer()
    trained.train_from_iterator(CORPUS, vocab_size=60, special_tokens=["<pad>", "<unk>"],
                                unk_token="<unk>")
    trained.save(str(tmp_path / "tokenizer.json"))
    tok = SubwordTokenizer.from_file(tmp_path / "tokenizer.json")
    assert "Unigram" in repr(tok)
    reference = tokenizers.Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    texts = ["the lazy dog", "quick brown foxes"]
    enc = tok(texts, padding=True, truncation=True, max_length=6)
    for row, text in enumerate(texts):
        ids = reference.encode(text).ids[:6]
        assert enc["input_ids"][row, :len(ids)].tolist() == ids
    assert enc["input_ids"].shape[1] == min(6, max(len(reference.encode(t).ids) for t in texts))
