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
        # set through object's __setattr__: not a dict entry, not part of the tuple view
        object.__setattr__(self, "_fields", tuple(fields))

    def __getattr__(self, name: str):
        if name in self.get_fields():
            return self.get(name)  # a field the model did not fill reads as None, like HF's
        raise AttributeError(f"{type(self).__name__} has no field {name!r}; fields: "
                             f"{self.get_fields()}")

    def get_fields(self) -> tuple[str, ...]:
        """Every field name, filled or not."""
        return object.__getattribute__(self, "_fields")

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            return self.to_tuple()[key]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple:
        return tuple(self.values())
