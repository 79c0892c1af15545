"""Vocabularies (``torchtext.vocab``)."""

from ember_text.vocab.vocab import Vocab
from ember_text.vocab.vocab_factory import build_vocab_from_iterator, vocab

__all__ = ["Vocab", "build_vocab_from_iterator", "vocab"]
