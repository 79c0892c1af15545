"""Tokenizers, n-grams and dataset helpers (``torchtext.data``)."""

from ember_text.data.functional import to_map_style_dataset
from ember_text.data.utils import get_tokenizer, ngrams_iterator

__all__ = ["get_tokenizer", "ngrams_iterator", "to_map_style_dataset"]
