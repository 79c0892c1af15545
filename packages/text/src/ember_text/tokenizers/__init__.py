"""Fast subword tokenizers (needs the ``tokenizers`` extra)."""

from ember_text.tokenizers.subword import BatchEncoding, SubwordTokenizer

__all__ = ["BatchEncoding", "SubwordTokenizer"]
