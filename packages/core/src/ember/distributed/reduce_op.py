"""``ReduceOp``: how ``all_reduce``/``reduce``/``reduce_scatter`` combine the ranks' values."""

from __future__ import annotations

import enum


class ReduceOp(enum.Enum):
    """The reduction operations (PyTorch's names).

    ``AVG`` is ``SUM`` divided by the group size (floating point tensors only). ``BAND``,
    ``BOR`` and ``BXOR`` are bitwise (integer and bool tensors).

    Examples::

        >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"ReduceOp.{self.name}"


__all__ = ["ReduceOp"]
