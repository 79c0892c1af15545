"""Word tokenizers and n-grams, as in ``torchtext.data.utils``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

__all__ = ["get_tokenizer", "ngrams_iterator"]

# torchtext's "basic_english" rules, applied in this order after lowercasing.
_PATTERNS = [r"\'", r"\"", r"\.", r"<br \/>", r",", r"\(", r"\)", r"\!", r"\?", r"\;", r"\:",
             r"\s+"]
_REPLACEMENTS = [" '  ", "", " . ", " ", " , ", " ( ", " ) ", " ! ", " ? ", " ", " ", " "]
_PATTERNS_DICT = [(re.compile(p), r) for p, r in zip(_PATTERNS, _REPLACEMENTS)]


def _split_tokenizer(x: str) -> list[str]:
    return x.split()


def _basic_english_normalize(line: str) -> list[str]:
    """Lowercase, put spaces around ``' . , ( ) ! ?``, drop ``"``, turn ``<br />``, ``;`` and
    ``:`` into spaces, then split on whitespace (torchtext's ``basic_english``)."""
    line = line.lower()
    for pattern_re, replaced_str in _PATTERNS_DICT:
        line = pattern_re.sub(replaced_str, line)
    return line.split()


def get_tokenizer(tokenizer: str | Callable[[str], list[str]] | None,
                  language: str = "en") -> Callable[[str], list[str]]:
    """Return a function that splits a string into a list of tokens.

    Args:
        tokenizer: ``None`` (``str.split``), ``"basic_english"``, ``"spacy"`` (needs spaCy and
            the model named by ``language``), or any callable, which is returned unchanged.
        language: the language; ``"basic_english"`` accepts only ``"en"``.

    Examples:
        >>> tokenizer = get_tokenizer("basic_english")
        >>> tokenizer("You can now install TorchText using pip!")
        ['you', 'can', 'now', 'install', 'torchtext', 'using', 'pip', '!']
    """
    if tokenizer is None:
        return _split_tokenizer
    if tokenizer == "basic_english":
        if language != "en":
            raise ValueError("Basic normalization is only available for Enlish(en)")
        return _basic_english_normalize
    if callable(tokenizer):
        return tokenizer
    if tokenizer == "spacy":
        try:
            import spacy
        except ImportError as exc:
            raise ImportError("get_tokenizer('spacy') needs spaCy: pip install spacy") from exc
        nlp = spacy.load(language)
        return lambda text: [tok.text for tok in nlp.tokenizer(text)]
    raise ValueError(
        f"Requested tokenizer {tokenizer!r}, valid choices are a callable that takes a single "
        "string as input, None (str.split), 'basic_english' and 'spacy'; for subword "
        "tokenizers see ember_text.tokenizers"
    )


def ngrams_iterator(token_list: list[str], ngrams: int) -> Iterator[str]:
    """Yield the tokens, then every n-gram for n = 2 … ``ngrams`` joined by a space.

    Examples:
        >>> list(ngrams_iterator(["here", "we", "are"], 2))
        ['here', 'we', 'are', 'here we', 'we are']
    """

    def _get_ngrams(n):
        return zip(*[token_list[i:] for i in range(n)])

    yield from token_list
    for n in range(2, ngrams + 1):
        for x in _get_ngrams(n):
            yield " ".join(x)
