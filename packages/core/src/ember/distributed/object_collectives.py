"""Collectives on picklable Python objects (``broadcast_object_list``, ``all_gather_object``…).

Objects are pickled into uint8 tensors on the group's device and moved with the tensor
collectives. As in PyTorch they use ``pickle``: only exchange objects between the ranks of your
own job (unpickling runs code named in the data).
"""

from __future__ import annotations

import pickle

import numpy as np

import ember

from .collectives import all_gather, broadcast, gather, scatter
from .world import _resolve


def _to_tensor(obj, device) -> ember.Tensor:
    data = np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy()
    return ember.from_numpy(data).to(device)


def _from_tensor(t, size: int):
    return pickle.loads(t[:size].cpu().numpy().tobytes())


def _sizes(pg, t, group) -> list[int]:
    """Every rank's byte count of its pickled object."""
    mine = ember.tensor([t.numel()], dtype=ember.int64, device=pg.object_device)
    sizes = [ember.zeros(1, dtype=ember.int64, device=pg.object_device) for _ in range(pg.size())]
    all_gather(sizes, mine, group=group)
    return [int(s.item()) for s in sizes]


def _padded(t, n: int, device) -> ember.Tensor:
    out = ember.zeros(n, dtype=ember.uint8, device=device)
    out[: t.numel()] = t
    return out


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace ``object_list``'s items on every rank by those of global rank ``src``."""
    pg = _resolve(group)
    dev = device or pg.object_device
    is_src = pg.global_rank(pg.rank()) == src
    payload = _to_tensor(list(object_list), dev) if is_src else None
    size = ember.tensor([payload.numel() if is_src else 0], dtype=ember.int64, device=dev)
    broadcast(size, src, group=group)
    buf = payload if is_src else ember.empty(int(size.item()), dtype=ember.uint8, device=dev)
    broadcast(buf, src, group=group)
    if not is_src:
        object_list[:] = _from_tensor(buf, buf.numel())


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[i]`` ← ``obj`` of rank ``i``, on every rank."""
    pg = _resolve(group)
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} items, the "
                         f"group has {pg.size()} ranks")
    t = _to_tensor(obj, pg.object_device)
    sizes = _sizes(pg, t, group)
    longest = max(sizes)
    out = [ember.empty(longest, dtype=ember.uint8, device=pg.object_device) for _ in sizes]
    all_gather(out, _padded(t, longest, pg.object_device), group=group)
    for i, (o, n) in enumerate(zip(out, sizes, strict=True)):
        object_list[i] = _from_tensor(o, n)


def gather_object(obj, object_gather_list=None, dst: int = 0, group=None) -> None:
    """``object_gather_list[i]`` on global rank ``dst`` ← ``obj`` of rank ``i``."""
    pg = _resolve(group)
    t = _to_tensor(obj, pg.object_device)
    sizes = _sizes(pg, t, group)
    longest = max(sizes)
    is_dst = pg.global_rank(pg.rank()) == dst
    out = [ember.empty(longest, dtype=ember.uint8, device=pg.object_device) for _ in sizes] \
        if is_dst else None
    gather(_padded(t, longest, pg.object_device), out, dst, group=group)
    if is_dst:
        object_gather_list[:] = [_from_tensor(o, n) for o, n in zip(out, sizes, strict=True)]


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src: int = 0, group=None) -> None:
    """``scatter_object_output_list[0]`` on rank ``i`` ← ``scatter_object_input_list[i]`` of
    global rank ``src``."""
    pg = _resolve(group)
    dev = pg.object_device
    is_src = pg.global_rank(pg.rank()) == src
    payloads = [_to_tensor(o, dev) for o in scatter_object_input_list] if is_src else []
    longest = ember.tensor([max((p.numel() for p in payloads), default=0)], dtype=ember.int64,
                           device=dev)
    broadcast(longest, src, group=group)
    n = int(longest.item())
    size = ember.zeros(1, dtype=ember.int64, device=dev)
    scatter(size, [ember.tensor([p.numel()], dtype=ember.int64, device=dev) for p in payloads]
            if is_src else None, src, group=group)
    buf = ember.empty(n, dtype=ember.uint8, device=dev)
    scatter(buf, [_padded(p, n, dev) for p in payloads] if is_src else None, src, group=group)
    scatter_object_output_list[0] = _from_tensor(buf, int(size.item()))


__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list"]
