"""ember-text: torchtext's API on ember (``import ember_text as torchtext``), plus Hugging
Face compatible BERT / GPT-2 models and fast subword tokenizers."""

from ember_text import data, datasets, functional, models, transforms, utils, vocab

__version__ = "0.1.0"

__all__ = ["data", "datasets", "functional", "models", "transforms", "utils", "vocab"]
