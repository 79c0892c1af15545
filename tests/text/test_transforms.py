"""Text transforms and their functional forms (torchtext.transforms semantics)."""

import numpy as np
import pytest

import ember
from ember_text import functional as F
from ember_text import transforms as T
from ember_text.vocab import build_vocab_from_iterator


def test_to_tensor_pads_to_longest():
    out = F.to_tensor([[1, 2, 3], [4], [5, 6]], padding_value=0)
    assert out.dtype == ember.long
    np.testing.assert_array_equal(out.numpy(), [[1, 2, 3], [4, 0, 0], [5, 6, 0]])
    np.testing.assert_array_equal(F.to_tensor([7, 8]).numpy(), [7, 8])
    np.testing.assert_array_equal(F.to_tensor([[1, 2], [3, 4]]).numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="different lengths"):
        F.to_tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="not supported"):
        F.to_tensor("abc")


def test_truncate_and_add_token():
    assert F.truncate([1, 2, 3], 2) == [1, 2]
    assert F.truncate([["a", "b", "c"], ["d"]], 2) == [["a", "b"], ["d"]]
    assert F.add_token([1, 2], 0) == [0, 1, 2]
    assert F.add_token([1, 2], 9, begin=False) == [1, 2, 9]
    assert F.add_token([["a"], ["b", "c"]], "<s>") == [["<s>", "a"], ["<s>", "b", "c"]]


def test_pad_transform():
    pad = T.PadTransform(max_length=5, pad_value=-1)
    x = ember.tensor([[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad(x).numpy(), [[1, 2, 3, -1, -1], [4, 5, 6, -1, -1]])
    long = ember.tensor([1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(pad(long).numpy(), [1, 2, 3, 4, 5, 6])


def test_sequential_pipeline_like_torchtext_tutorial():
    v = build_vocab_from_iterator([["hello", "world", "hello"]], specials=["<pad>", "<unk>",
                                                                          "<bos>", "<eos>"])
    v.set_default_index(v["<unk>"])
    pipeline = T.Sequential(
        T.VocabTransform(v), T.Truncate(3), T.AddToken(v["<bos>"], begin=True),
        T.AddToken(v["<eos>"], begin=False), T.ToTensor(padding_value=v["<pad>"]),
        T.PadTransform(7, v["<pad>"]))
    out = pipeline([["hello", "there", "world", "again"], ["world"]])
    # hello=4, world=5 (frequency order after the 4 specials), unknown words -> <unk>=1
    np.testing.assert_array_equal(out.numpy(), [[2, 4, 1, 5, 3, 0, 0], [2, 5, 3, 0, 0, 0, 0]])


def test_label_to_index_and_str_to_int(tmp_path):
    t = T.LabelToIndex(["neg", "pos"])
    assert t(["pos", "neg", "pos"]) == [1, 0, 1] and t("neg") == 0
    path = tmp_path / "labels.txt"
    path.write_text("b\na\n")
    assert T.LabelToIndex(label_path=str(path), sort_names=True).label_names == ["a", "b"]
    assert T.StrToIntTransform()([["1", "2"], ["3"]]) == [[1, 2], [3]]
    with pytest.raises(TypeError, match="needs a Vocab"):
        T.VocabTransform({"a": 1})
