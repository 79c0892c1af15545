"""Composable text transforms (``torchtext.transforms``): modules chained with
:class:`Sequential`, like torchvision's transforms.

Examples:
    >>> text_transform = Sequential(
    ...     VocabTransform(vocab), Truncate(254), AddToken(bos_id, begin=True),
    ...     AddToken(eos_id, begin=False), ToTensor(padding_value=pad_id))
    >>> batch = text_transform([tokenizer(line) for line in lines])   # (B, longest) long
"""

from __future__ import annotations

from typing import Any

import ember
import ember.nn.functional as F
from ember import nn
from ember_text import functional
from ember_text.vocab import Vocab

__all__ = ["VocabTransform", "ToTensor", "Truncate", "AddToken", "PadTransform",
           "LabelToIndex", "StrToIntTransform", "Sequential"]


class VocabTransform(nn.Module):
    """Tokens → ids through a :class:`~ember_text.vocab.Vocab`.

    Args:
        vocab: the vocabulary.

    Shape: ``list[str]`` → ``list[int]``; ``list[list[str]]`` → ``list[list[int]]``.
    """

    def __init__(self, vocab: Vocab) -> None:
        super().__init__()
        if not isinstance(vocab, Vocab):
            raise TypeError(f"VocabTransform needs a Vocab, got {type(vocab).__name__}")
        self.vocab = vocab

    def forward(self, input: Any) -> Any:
        if functional._is_batch(input):
            return [self.vocab.lookup_indices(list(tokens)) for tokens in input]
        return self.vocab.lookup_indices(list(input))


class ToTensor(nn.Module):
    """Ids → tensor, padding a batch to its longest sequence (see
    :func:`ember_text.functional.to_tensor`).

    Args:
        padding_value: pad id for batches (``None``: rows must have equal lengths).
        dtype: output dtype (default ``ember.long``).
    """

    def __init__(self, padding_value: int | None = None, dtype=ember.long) -> None:
        super().__init__()
        self.padding_value = padding_value
        self.dtype = dtype

    def forward(self, input: Any) -> ember.Tensor:
        return functional.to_tensor(input, padding_value=self.padding_value, dtype=self.dtype)


class Truncate(nn.Module):
    """Keep the first ``max_seq_len`` tokens/ids of each sequence."""

    def __init__(self, max_seq_len: int) -> None:
        super().__init__()
        self.max_seq_len = max_seq_len

    def forward(self, input: Any) -> Any:
        return functional.truncate(input, self.max_seq_len)


class AddToken(nn.Module):
    """Add a token (or id) at the beginning (``begin=True``) or end of each sequence."""

    def __init__(self, token: int | str, begin: bool = True) -> None:
        super().__init__()
        self.token = token
        self.begin = begin

    def forward(self, input: Any) -> Any:
        return functional.add_token(input, self.token, self.begin)


class PadTransform(nn.Module):
    """Pad the last dimension of a tensor up to ``max_length`` with ``pad_value`` (longer
    tensors are returned unchanged).

    Shape: ``(*, L)`` → ``(*, max(L, max_length))``.
    """

    def __init__(self, max_length: int, pad_value: int) -> None:
        super().__init__()
        self.max_length = max_length
        self.pad_value = pad_value

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        length = x.size(-1)
        if length < self.max_length:
            x = F.pad(x, (0, self.max_length - length), value=self.pad_value)
        return x


class LabelToIndex(nn.Module):
    """Label names → indices.

    Args:
        label_names: the labels (index = position).
        label_path: a file with one label per line (instead of ``label_names``).
        sort_names: sort the names first.
    """

    def __init__(self, label_names: list[str] | None = None, label_path: str | None = None,
                 sort_names: bool = False) -> None:
        super().__init__()
        if (label_names is None) == (label_path is None):
            raise ValueError("LabelToIndex needs exactly one of label_names and label_path")
        if label_path is not None:
            with open(label_path, encoding="utf-8") as f:
                label_names = [line.strip() for line in f if line.strip()]
        if sort_names:
            label_names = sorted(label_names)
        self._label_vocab = Vocab(label_names)
        self._label_names = self._label_vocab.get_itos()

    def forward(self, input: Any) -> Any:
        if isinstance(input, str):
            return self._label_vocab[input]
        return self._label_vocab.lookup_indices(list(input))

    @property
    def label_names(self) -> list[str]:
        return list(self._label_names)


class StrToIntTransform(nn.Module):
    """Strings of digits → ints (``["1", "2"]`` → ``[1, 2]``), for a sequence or a batch."""

    def forward(self, input: Any) -> Any:
        if functional._is_batch(input):
            return [[int(x) for x in row] for row in input]
        return [int(x) for x in input]


class Sequential(nn.Sequential):
    """Chain transforms: the output of each is the input of the next."""

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input
