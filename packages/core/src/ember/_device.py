"""``ember.device``: a backend name plus an optional index, like ``torch.device``."""

from __future__ import annotations

__all__ = ["device"]


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda:1")``, ``device("opencl", 0)``."""

    __slots__ = ("type", "index")
    _cache: dict = {}

    def __new__(cls, type, index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device):
            return type
        key = (type, index)
        hit = cls._cache.get(key)
        if hit is not None:
            return hit
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or a device, got {type!r}")
        name = type
        if ":" in name:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {name}")
            name, _, idx = name.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        if not name or not name.replace("_", "").isalnum():
            raise RuntimeError(f"Invalid device string: '{type}'")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = object.__new__(cls)
        self.type, self.index = name, index
        cls._cache[key] = self
        return self

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))
