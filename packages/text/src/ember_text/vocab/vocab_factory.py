"""Building a :class:`Vocab` from counts or from a token stream (torchtext's factories)."""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable

from ember_text.vocab.vocab import Vocab

__all__ = ["vocab", "build_vocab_from_iterator"]


def vocab(ordered_dict: dict[str, int], min_freq: int = 1, specials: list[str] | None = None,
          special_first: bool = True) -> Vocab:
    """A :class:`Vocab` from a token → frequency mapping, keeping its order.

    Args:
        ordered_dict: token → frequency; its insertion order becomes the index order
            (sort it by frequency first if that matters). Specials in it are removed first.
        min_freq: tokens with a smaller frequency are left out.
        specials: special tokens, added in the given order (never filtered by ``min_freq``).
        special_first: put the specials at the start (True) or at the end.

    Examples:
        >>> v = vocab(OrderedDict([("b", 3), ("a", 2), ("c", 1)]), min_freq=2, specials=["<unk>"])
        >>> v.get_itos()
        ['<unk>', 'b', 'a']
    """
    specials = specials or []
    ordered_dict = OrderedDict(ordered_dict)  # the caller's mapping stays untouched
    for token in specials:
        ordered_dict.pop(token, None)
    tokens = [token for token, freq in ordered_dict.items() if freq >= min_freq]
    tokens = specials + tokens if special_first else tokens + specials
    return Vocab(tokens)


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: list[str] | None = None, special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """A :class:`Vocab` from an iterator that yields lists of tokens.

    Tokens are ordered by descending frequency, ties broken alphabetically.

    Args:
        iterator: yields a list (or iterable) of tokens per item.
        min_freq: the minimum frequency a token needs to be included.
        specials: special tokens, in the given order.
        special_first: insert the specials at the beginning (True) or the end.
        max_tokens: keep only the ``max_tokens - len(specials)`` most frequent tokens.

    Examples:
        >>> tok = get_tokenizer("basic_english")
        >>> v = build_vocab_from_iterator(map(tok, lines), specials=["<unk>"])
        >>> v.set_default_index(v["<unk>"])
    """
    counter: Counter[str] = Counter()
    for tokens in iterator:
        counter.update(tokens)
    specials = specials or []
    sorted_by_freq = sorted(counter.items(), key=lambda x: (-x[1], x[0]))
    if max_tokens is not None:
        if len(specials) >= max_tokens:
            raise ValueError(f"len(specials) = {len(specials)} >= max_tokens = {max_tokens}, so "
                             "the vocab would be entirely special tokens")
        sorted_by_freq = sorted_by_freq[:max_tokens - len(specials)]
    return vocab(OrderedDict(sorted_by_freq), min_freq=min_freq, specials=specials,
                 special_first=special_first)
