"""Fast subword tokenizers (WordPiece, BPE, Unigram) through Hugging Face's ``tokenizers``.

:class:`SubwordTokenizer` loads a ``tokenizer.json`` (any model type), a BERT ``vocab.txt``
(WordPiece) or a GPT-2 style ``vocab.json`` + ``merges.txt`` (byte-level BPE), and encodes
batches with padding, truncation and attention masks into ember tensors, with the per-call
semantics of ``transformers``' tokenizers (``padding=True`` pads to the longest sequence of
the batch, ``truncation=True`` cuts at ``max_length``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ember

__all__ = ["SubwordTokenizer", "BatchEncoding"]

# candidate pad tokens, tried in this order when the tokenizer file names none
_PAD_TOKENS = ("[PAD]", "<pad>", "<|padding|>")


def _tokenizers():
    try:
        import tokenizers
    except ImportError as exc:
        raise ImportError("ember_text's subword tokenizers need Hugging Face's tokenizers: "
                          "pip install 'ember-text[tokenizers]'") from exc
    return tokenizers


class BatchEncoding(dict):
    """The result of :meth:`SubwordTokenizer.__call__`: a dict (``input_ids``,
    ``attention_mask``, ``token_type_ids``) whose values are also attributes."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class SubwordTokenizer:
    r"""A fast subword tokenizer returning ember tensors.

    The tokenizer file's own padding/truncation settings are switched off at load time (as
    ``transformers`` does): each call decides with its ``padding``/``truncation`` arguments.

    Args:
        tokenizer: a ``tokenizers.Tokenizer``.
        model_max_length: default ``max_length`` for ``truncation=True`` /
            ``padding="max_length"`` (``None``: no default).

    Examples:
        >>> tok = SubwordTokenizer.from_pretrained("all-MiniLM-L6-v2/")
        >>> enc = tok(["A man is playing a guitar.", "Hi"], padding=True, truncation=True,
        ...           max_length=256)
        >>> enc["input_ids"].shape, enc["attention_mask"].dtype
        ((2, 9), ember.int64)
        >>> tok.decode(enc["input_ids"][0].tolist())
        'a man is playing a guitar.'
    """

    def __init__(self, tokenizer, model_max_length: int | None = None) -> None:
        padding = tokenizer.padding
        self.pad_token: str | None = padding["pad_token"] if padding else None
        self.pad_token_id: int | None = padding["pad_id"] if padding else None
        if self.pad_token is None:
            for candidate in _PAD_TOKENS:
                if tokenizer.token_to_id(candidate) is not None:
                    self.pad_token, self.pad_token_id = candidate, tokenizer.token_to_id(candidate)
                    break
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self.model_max_length = model_max_length

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_file(cls, path: str | Path, model_max_length: int | None = None
                  ) -> SubwordTokenizer:
        """Load a ``tokenizer.json`` (WordPiece, BPE, Unigram or WordLevel model)."""
        path = Path(path)
        library = _tokenizers()
        if not path.is_file():
            raise FileNotFoundError(f"no such tokenizer file: {path}")
        try:
            tok = library.Tokenizer.from_file(str(path))
        except Exception as exc:  # the Rust library raises plain Exception subclasses
            raise ValueError(f"cannot read the tokenizer file {path}: {exc}") from exc
        return cls(tok, model_max_length)

    @classmethod
    def from_wordpiece_vocab(cls, vocab_file: str | Path, lowercase: bool = True,
                             model_max_length: int | None = 512) -> SubwordTokenizer:
        """A BERT WordPiece tokenizer from a ``vocab.txt`` (one token per line): BERT's
        normaliser, pre-tokenizer and ``[CLS] … [SEP]`` template."""
        tok = _tokenizers().BertWordPieceTokenizer(str(vocab_file), lowercase=lowercase)
        return cls(tok._tokenizer, model_max_length)

    @classmethod
    def from_bpe_files(cls, vocab_file: str | Path, merges_file: str | Path,
                       model_max_length: int | None = 1024) -> SubwordTokenizer:
        """A GPT-2 style byte-level BPE tokenizer from ``vocab.json`` + ``merges.txt``."""
        tok = _tokenizers().ByteLevelBPETokenizer(str(vocab_file), str(merges_file))
        return cls(tok._tokenizer, model_max_length)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> SubwordTokenizer:
        """Load from a model directory: ``tokenizer.json`` if present, else ``vocab.txt``
        (WordPiece), else ``vocab.json`` + ``merges.txt`` (BPE). ``tokenizer_config.json``
        gives ``model_max_length`` and ``do_lower_case``."""
        path = Path(path)
        config = {}
        if (path / "tokenizer_config.json").is_file():
            config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
        max_len = config.get("model_max_length")
        if max_len is not None and max_len > 1e9:  # transformers' "no limit" sentinel
            max_len = None
        if (path / "tokenizer.json").is_file():
            return cls.from_file(path / "tokenizer.json", max_len)
        if (path / "vocab.txt").is_file():
            return cls.from_wordpiece_vocab(path / "vocab.txt",
                                            config.get("do_lower_case", True), max_len)
        if (path / "vocab.json").is_file() and (path / "merges.txt").is_file():
            return cls.from_bpe_files(path / "vocab.json", path / "merges.txt", max_len)
        raise FileNotFoundError(f"no tokenizer.json, vocab.txt or vocab.json + merges.txt in "
                                f"{path}")

    # ------------------------------------------------------------------ properties

    @property
    def vocab_size(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def __len__(self) -> int:
        return self.vocab_size

    def token_to_id(self, token: str) -> int | None:
        return self._tokenizer.token_to_id(token)

    def id_to_token(self, index: int) -> str | None:
        return self._tokenizer.id_to_token(index)

    def tokenize(self, text: str) -> list[str]:
        """The subword tokens of ``text``, without special tokens."""
        return self._tokenizer.encode(text, add_special_tokens=False).tokens

    # ------------------------------------------------------------------ encoding

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """The ids of one text (no padding, no truncation)."""
        return self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids

    def __call__(self, text: str | list[str], padding: bool | str = False,
                 truncation: bool = False, max_length: int | None = None,
                 add_special_tokens: bool = True, return_tensors: str | None = "ember",
                 pad_to_multiple_of: int | None = None) -> BatchEncoding:
        """Encode one text or a batch.

        Args:
            text: a string or a list of strings.
            padding: ``False``/``"do_not_pad"``; ``True``/``"longest"`` (to the batch's
                longest); ``"max_length"`` (to ``max_length``).
            truncation: cut sequences (special tokens included) at ``max_length``.
            max_length: defaults to ``model_max_length``.
            add_special_tokens: add the template's ``[CLS]``/``[SEP]`` etc.
            return_tensors: ``"ember"`` → 2-D int64 tensors (a single text gives a batch of
                one); ``None`` → lists (of lists for a batch).
            pad_to_multiple_of: round padded lengths up to a multiple of this.

        Returns:
            :class:`BatchEncoding` with ``input_ids``, ``token_type_ids`` and
            ``attention_mask`` (1 = real token, 0 = padding).
        """
        single = isinstance(text, str)
        texts = [text] if single else list(text)
        if not all(isinstance(t, str) for t in texts):
            bad = next(t for t in texts if not isinstance(t, str))
            raise TypeError(f"text must be a str or a list of str, got an item of type "
                            f"{type(bad).__name__}")
        strategy = self._padding_strategy(padding)
        if (truncation or strategy == "max_length") and max_length is None:
            max_length = self.model_max_length
            if max_length is None:
                raise ValueError("truncation / padding='max_length' need max_length (this "
                                 "tokenizer has no model_max_length)")
        if strategy != "none" and return_tensors is None and single:
            strategy = "none"  # one unbatched sequence: nothing to pad against
        encodings = self._encode_batch(texts, strategy, truncation, max_length,
                                       add_special_tokens, pad_to_multiple_of)
        return self._collate(encodings, single, return_tensors)

    def _padding_strategy(self, padding: bool | str) -> str:
        if padding is True or padding == "longest":
            strategy = "longest"
        elif padding is False or padding == "do_not_pad":
            strategy = "none"
        elif padding == "max_length":
            strategy = "max_length"
        else:
            raise ValueError(f"padding must be True, False, 'longest', 'max_length' or "
                             f"'do_not_pad', got {padding!r}")
        if strategy != "none" and self.pad_token_id is None:
            raise ValueError("this tokenizer has no pad token ([PAD] / <pad>), so it cannot pad")
        return strategy

    def _encode_batch(self, texts, strategy, truncation, max_length, add_special_tokens,
                      pad_to_multiple_of):
        tok = self._tokenizer
        try:  # the settings live on the shared Rust object: set them for this call only
            if truncation:
                tok.enable_truncation(max_length)
            if strategy != "none":
                tok.enable_padding(pad_id=self.pad_token_id, pad_token=self.pad_token,
                                   length=max_length if strategy == "max_length" else None,
                                   pad_to_multiple_of=pad_to_multiple_of)
            return tok.encode_batch(texts, add_special_tokens=add_special_tokens)
        finally:
            tok.no_truncation()
            tok.no_padding()

    @staticmethod
    def _collate(encodings, single: bool, return_tensors: str | None) -> BatchEncoding:
        fields = {"input_ids": [e.ids for e in encodings],
                  "token_type_ids": [e.type_ids for e in encodings],
                  "attention_mask": [e.attention_mask for e in encodings]}
        if return_tensors is None:
            return BatchEncoding({k: v[0] if single else v for k, v in fields.items()})
        if return_tensors not in ("ember", "pt"):
            raise ValueError(f"return_tensors must be 'ember' or None, got {return_tensors!r}")
        lengths = {len(ids) for ids in fields["input_ids"]}
        if len(lengths) > 1:
            raise ValueError(f"the sequences have different lengths {sorted(lengths)}: pass "
                             "padding=True to return them as one tensor")
        return BatchEncoding({k: ember.from_numpy(np.asarray(v, dtype=np.int64))
                              for k, v in fields.items()})

    # ------------------------------------------------------------------ decoding

    def decode(self, ids, skip_special_tokens: bool = True) -> str:
        """Ids (list or 1-D tensor) → text."""
        return self._tokenizer.decode(self._id_list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(self, sequences, skip_special_tokens: bool = True) -> list[str]:
        """A batch of ids (list of lists or 2-D tensor) → list of texts."""
        if isinstance(sequences, ember.Tensor):
            sequences = sequences.tolist()
        return self._tokenizer.decode_batch([self._id_list(s) for s in sequences],
                                            skip_special_tokens=skip_special_tokens)

    @staticmethod
    def _id_list(ids) -> list[int]:
        if isinstance(ids, ember.Tensor):
            ids = ids.tolist()
        return [int(i) for i in ids]

    def __repr__(self) -> str:
        model = type(self._tokenizer.model).__name__
        return (f"SubwordTokenizer(model={model}, vocab_size={self.vocab_size}, "
                f"model_max_length={self.model_max_length}, pad_token={self.pad_token!r})")
