"""Model outputs that read like Hugging Face's ``ModelOutput``: fields by attribute or key,
and by position (``out[0]``) over the fields that are not ``None``."""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["ModelOutput"]


class ModelOutput(OrderedDict):
    """An ordered dict of the non-``None`` outputs, also readable as attributes / a tuple.

    Examples:
        >>> out = model(input_ids)
        >>> out.last_hidden_state is out["last_hidden_state"] is out[0]
        True
    """

    def __init__(self, **fields) -> None:
        super().__init__((k, v) for k, v in fields.items() if v is not None)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)  # a field the model did not return reads as None, like HF's

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        return tuple(self.values())
