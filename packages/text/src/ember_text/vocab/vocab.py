"""``Vocab``: the token ↔ index map of ``torchtext.vocab.Vocab``."""

from __future__ import annotations

from ember import nn

__all__ = ["Vocab"]


class Vocab(nn.Module):
    r"""Maps tokens to indices and back.

    Build one with :func:`~ember_text.vocab.build_vocab_from_iterator` or
    :func:`~ember_text.vocab.vocab`. Looking up a token that is not in the vocabulary raises
    ``RuntimeError`` until a default index is set with :meth:`set_default_index`.

    Args:
        tokens: the tokens, in index order (no duplicates).

    Examples:
        >>> v = Vocab(["<unk>", "hello", "world"])
        >>> v.set_default_index(v["<unk>"])
        >>> v(["hello", "there"])
        [1, 0]
        >>> v.lookup_tokens([2, 1])
        ['world', 'hello']
    """

    def __init__(self, tokens: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        self._default_index: int | None = None
        for token in tokens:
            self.append_token(token)

    def forward(self, tokens: list[str]) -> list[int]:
        """The indices of ``tokens`` (same as :meth:`lookup_indices`)."""
        return self.lookup_indices(tokens)

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default_index is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return self._default_index

    def set_default_index(self, index: int | None) -> None:
        """Index returned for out-of-vocabulary tokens (``None``: raise instead)."""
        self._default_index = index

    def get_default_index(self) -> int | None:
        return self._default_index

    def insert_token(self, token: str, index: int) -> None:
        """Insert ``token`` at ``index``; the tokens from ``index`` on move up by one."""
        self._check_new(token)
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(
                f"Specified index {index} is out of bounds for vocab of size {len(self._itos)}")
        self._itos.insert(index, token)
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end (index ``len(vocab)``)."""
        self._check_new(token)
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def lookup_token(self, index: int) -> str:
        if not 0 <= index < len(self._itos):
            raise RuntimeError(
                f"Specified index {index} is out of bounds for vocab of size {len(self._itos)}")
        return self._itos[index]

    def lookup_tokens(self, indices: list[int]) -> list[str]:
        return [self.lookup_token(int(i)) for i in indices]

    def lookup_indices(self, tokens: list[str]) -> list[int]:
        return [self[token] for token in tokens]

    def get_stoi(self) -> dict[str, int]:
        """A copy of the token → index dictionary."""
        return dict(self._stoi)

    def get_itos(self) -> list[str]:
        """A copy of the index → token list."""
        return list(self._itos)

    def _check_new(self, token: str) -> None:
        if not isinstance(token, str):
            raise TypeError(f"Vocab tokens must be str, got {type(token).__name__}: {token!r}")
        if token in self._stoi:
            raise RuntimeError(
                f"Token {token} already exists in the Vocab with index: {self._stoi[token]}")

    def extra_repr(self) -> str:
        return f"size={len(self)}, default_index={self._default_index}"
