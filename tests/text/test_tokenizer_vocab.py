"""get_tokenizer, ngrams_iterator, Vocab and its factories against torchtext's behaviour
(expected values from torchtext's own test suite and documentation)."""

from collections import Counter, OrderedDict

import pytest

from ember_text.data import get_tokenizer, ngrams_iterator
from ember_text.vocab import Vocab, build_vocab_from_iterator, vocab


def test_basic_english_matches_torchtext_test_values():
    # torchtext test/test_utils.py::test_get_tokenizer_basic_english
    tok = get_tokenizer("basic_english")
    assert tok("Basic English Normalization for a Line of Text") == [
        "basic", "english", "normalization", "for", "a", "line", "of", "text"]
    text = "'\".<br />,()!?;:   Basic English Normalization for a Line of Text   '\".<br />,()!?;:"
    assert tok(text) == ["'", ".", ",", "(", ")", "!", "?", "basic", "english", "normalization",
                         "for", "a", "line", "of", "text", "'", ".", ",", "(", ")", "!", "?"]


def test_basic_english_contractions_and_br():
    tok = get_tokenizer("basic_english")
    # "'" gets spaces around it (so "don't" splits), "<br />" becomes a space
    assert tok("I don't know.<br />Really!") == ["i", "don", "'", "t", "know", ".", "really", "!"]


def test_get_tokenizer_other_choices():
    assert get_tokenizer(None)(" a  b\tc ") == ["a", "b", "c"]
    fn = str.split
    assert get_tokenizer(fn) is fn
    with pytest.raises(ValueError, match="only available for Enlish"):
        get_tokenizer("basic_english", language="de")
    with pytest.raises(ValueError, match="valid choices"):
        get_tokenizer("no_such_tokenizer")


def test_ngrams_iterator():
    # the code's real order (unigrams first), as torchtext's test_ngrams_func checks
    tokens = ["here", "we", "are"]
    assert list(ngrams_iterator(tokens, 1)) == tokens
    assert list(ngrams_iterator(tokens, 2)) == ["here", "we", "are", "here we", "we are"]
    assert list(ngrams_iterator(tokens, 3)) == [
        "here", "we", "are", "here we", "we are", "here we are"]
    assert list(ngrams_iterator(tokens, 5))[-1] == "here we are"


def test_build_vocab_from_iterator_order_specials_min_freq():
    data = [["hello", "world"], ["hello", "there"], ["b", "a", "a", "b"]]
    v = build_vocab_from_iterator(data, specials=["<unk>", "<pad>"])
    # descending frequency, ties alphabetical, specials first in the given order
    assert v.get_itos() == ["<unk>", "<pad>", "a", "b", "hello", "there", "world"]
    v = build_vocab_from_iterator(data, min_freq=2, specials=["<unk>"], special_first=False)
    assert v.get_itos() == ["a", "b", "hello", "<unk>"]
    # max_tokens counts the specials; truncation happens before min_freq
    v = build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=3)
    assert v.get_itos() == ["<unk>", "a", "b"]
    with pytest.raises(ValueError, match="max_tokens"):
        build_vocab_from_iterator(data, specials=["<unk>"], max_tokens=1)


def test_build_vocab_specials_in_data_are_not_duplicated():
    v = build_vocab_from_iterator([["<unk>", "x", "x"]], specials=["<unk>"])
    assert v.get_itos() == ["<unk>", "x"]


def test_vocab_factory_keeps_dict_order():
    # torchtext's docstring example
    counter = Counter(["a", "a", "b", "b", "b"])
    ordered = OrderedDict(sorted(counter.items(), key=lambda x: x[1], reverse=True))
    v1 = vocab(ordered)
    assert v1["a"] == 1 and v1["b"] == 0
    with pytest.raises(RuntimeError, match="not found and default index is not set"):
        v1["out of vocab"]
    v2 = vocab(OrderedDict((t, 1) for t in ["e", "d", "c", "b", "a"]), specials=["<unk>"])
    v2.set_default_index(-1)
    assert v2["<unk>"] == 0 and v2["out of vocab"] == -1
    v2.set_default_index(v2["<unk>"])
    assert v2["out of vocab"] == v2["<unk>"] == 0
    assert list(ordered) == ["b", "a"]  # the caller's dict is not modified


def test_vocab_lookups_and_edits():
    v = Vocab(["<unk>", "hello", "world"])
    v.set_default_index(0)
    assert v(["hello", "world", "nope"]) == [1, 2, 0]  # forward == lookup_indices
    assert v.lookup_tokens([2, 1]) == ["world", "hello"]
    assert v.lookup_token(1) == "hello"
    assert len(v) == 3 and "hello" in v and "nope" not in v
    assert v.get_default_index() == 0
    v.insert_token("new", 1)
    assert v.get_itos() == ["<unk>", "new", "hello", "world"]
    assert v.get_stoi() == {"<unk>": 0, "new": 1, "hello": 2, "world": 3}
    v.append_token("last")
    assert v["last"] == 4
    with pytest.raises(RuntimeError, match="already exists"):
        v.append_token("hello")
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.lookup_token(10)
    with pytest.raises(RuntimeError, match="out of bounds"):
        v.insert_token("x", 9)


def test_vocab_is_picklable_for_dataloader_workers():
    import pickle

    v = build_vocab_from_iterator([["a", "b", "b"]], specials=["<unk>"])
    v.set_default_index(0)
    w = pickle.loads(pickle.dumps(v))
    assert w.get_itos() == v.get_itos() and w["zzz"] == 0
