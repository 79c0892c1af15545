"""Collective and point-to-point operations on tensors (``torch.distributed``'s names).

Every function works on the tensors in place like PyTorch's (``all_reduce`` overwrites its
argument on every rank), returns ``None`` — or a ``Work`` handle with ``async_op=True`` — and
takes global ranks for ``src``/``dst`` also when ``group`` is a subgroup.
"""

from __future__ import annotations

import ember

from .reduce_op import ReduceOp
from .work import Work
from .world import _resolve


def _check_tensor(tensor, name: str = "tensor") -> None:
    if not isinstance(tensor, ember.Tensor):
        raise TypeError(f"{name} must be an ember.Tensor, got {type(tensor).__name__}")


def _check_op(op, tensor) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a dist.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and not tensor.dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs a floating point tensor, got {tensor.dtype}")
    return op


def _describe(name: str, tensor, op: ReduceOp | None = None):
    """The operation's description for messages, made only when one is needed."""
    def describe() -> str:
        what = f"{name}({op.name})" if op is not None else name
        return f"{what} of a {list(tensor.shape)} {tensor.dtype} tensor"
    return describe


def _launch(op: str, pg, test, finishers, async_op: bool, result=None):
    """Wrap a started operation: wait for it now, or hand back its Work."""
    def finish() -> None:
        for f in finishers:
            if f is not None:
                f()

    work = Work(op, pg, test, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _average(pg, buf):
    def divide() -> None:
        buf.__itruediv__(pg.size())  # in place: the buffer may be the tensor's memory
    return divide


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over all ranks; every rank gets the result in ``tensor``.

    Examples::

        >>> t = ember.ones(3) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t)            # world size 2: t == [3., 3., 3.] on both ranks
    """
    _check_tensor(tensor)
    pg = _resolve(group)
    _check_op(op, tensor)
    buf, write_back = pg.to_buffer(tensor, reduce=True)
    test = pg.allreduce(buf, op)
    avg = _average(pg, buf) if op is ReduceOp.AVG else None
    return _launch(_describe("all_reduce", tensor, op), pg, test, [avg, write_back], async_op, [tensor])


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False, group_src=None):
    """Copy ``tensor`` of global rank ``src`` into ``tensor`` on every rank."""
    _check_tensor(tensor)
    pg = _resolve(group)
    root = group_src if group_src is not None else pg.group_rank(src)
    buf, write_back = pg.to_buffer(tensor, reduce=False)
    test = pg.broadcast(buf, root)
    return _launch(_describe(f"broadcast from rank {src}", tensor), pg, test, [write_back], async_op,
                   [tensor])


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` over all ranks into ``tensor`` of global rank ``dst``."""
    _check_tensor(tensor)
    pg = _resolve(group)
    _check_op(op, tensor)
    root = pg.group_rank(dst)
    buf, write_back = pg.to_buffer(tensor, reduce=True)
    test = pg.reduce(buf, op, root)
    finishers = []
    if pg.rank() == root:
        finishers = [_average(pg, buf) if op is ReduceOp.AVG else None, write_back]
    return _launch(_describe(f"reduce to rank {dst}", tensor, op), pg, test, finishers, async_op,
                   [tensor])


def _check_same(tensors, like, what: str) -> None:
    for i, t in enumerate(tensors):
        _check_tensor(t, f"{what}[{i}]")
        if tuple(t.shape) != tuple(like.shape) or t.dtype is not like.dtype:
            raise ValueError(f"{what}[{i}] is a {list(t.shape)} {t.dtype} tensor but the input is "
                             f"{list(like.shape)} {like.dtype}: they must match")


def _split_into(pg, tensors, buf):
    """A finisher that writes row ``i`` of ``buf`` into ``tensors[i]``."""
    def write() -> None:
        for i, t in enumerate(tensors):
            pg.write(t, buf[i])
    return write


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """``tensor_list[i]`` ← ``tensor`` of rank ``i``, on every rank."""
    _check_tensor(tensor)
    pg = _resolve(group)
    if len(tensor_list) != pg.size():
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, the group has "
                         f"{pg.size()} ranks")
    _check_same(tensor_list, tensor, "tensor_list")
    send, _ = pg.to_buffer(tensor, reduce=False)
    recv = pg.empty((pg.size(),) + send.shape, send)
    test = pg.allgather(send, recv)
    return _launch(_describe("all_gather", tensor), pg, test, [_split_into(pg, tensor_list, recv)],
                   async_op, list(tensor_list))


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Gather every rank's ``input_tensor`` into ``output_tensor`` (concatenated along dim 0, or
    stacked: shape ``[world_size, *input.shape]``)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = _resolve(group)
    if output_tensor.numel() != pg.size() * input_tensor.numel() or \
            output_tensor.dtype is not input_tensor.dtype:
        raise ValueError(f"all_gather_into_tensor: output {list(output_tensor.shape)} "
                         f"{output_tensor.dtype} must hold {pg.size()} x input "
                         f"{list(input_tensor.shape)} {input_tensor.dtype}")
    send, _ = pg.to_buffer(input_tensor, reduce=False)
    recv, write_back = pg.to_buffer(output_tensor, reduce=False)
    test = pg.allgather(send, recv)
    return _launch(_describe("all_gather_into_tensor", input_tensor), pg, test, [write_back],
                   async_op, [output_tensor])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``input`` over all ranks and give rank ``i`` the ``i``-th of ``world_size`` equal
    chunks (along dim 0) in ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = _resolve(group)
    _check_op(op, input)
    if input.numel() != pg.size() * output.numel() or output.dtype is not input.dtype:
        raise ValueError(f"reduce_scatter_tensor: input {list(input.shape)} {input.dtype} must "
                         f"hold {pg.size()} x output {list(output.shape)} {output.dtype}")
    send, _ = pg.to_buffer(input, reduce=True)
    recv, write_back = pg.to_buffer(output, reduce=True)
    test = pg.reduce_scatter(send, recv, op)
    avg = _average(pg, recv) if op is ReduceOp.AVG else None
    return _launch(_describe("reduce_scatter_tensor", input, op), pg, test, [avg, write_back],
                   async_op, [output])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``input_list[i]`` over all ranks into ``output`` of rank ``i``."""
    _check_same(input_list, output, "input_list")
    return reduce_scatter_tensor(output, ember.stack(list(input_list)), op, group, async_op)


def gather(tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False):
    """``gather_list[i]`` on global rank ``dst`` ← ``tensor`` of rank ``i``."""
    _check_tensor(tensor)
    pg = _resolve(group)
    root = pg.group_rank(dst)
    send, _ = pg.to_buffer(tensor, reduce=False)
    finishers, recv = [], None
    if pg.rank() == root:
        if gather_list is None or len(gather_list) != pg.size():
            raise ValueError(f"gather: on the destination rank gather_list must hold "
                             f"{pg.size()} tensors")
        _check_same(gather_list, tensor, "gather_list")
        recv = pg.empty((pg.size(),) + send.shape, send)
        finishers = [_split_into(pg, gather_list, recv)]
    elif gather_list:
        raise ValueError("gather: gather_list must be None or empty on non-destination ranks")
    test = pg.gather(send, recv, root)
    return _launch(_describe(f"gather to rank {dst}", tensor), pg, test, finishers, async_op,
                   list(gather_list or []))


def scatter(tensor, scatter_list=None, src: int = 0, group=None, async_op: bool = False):
    """``tensor`` on rank ``i`` ← ``scatter_list[i]`` of global rank ``src``."""
    _check_tensor(tensor)
    pg = _resolve(group)
    root = pg.group_rank(src)
    send = None
    if pg.rank() == root:
        if scatter_list is None or len(scatter_list) != pg.size():
            raise ValueError(f"scatter: on the source rank scatter_list must hold {pg.size()} tensors")
        _check_same(scatter_list, tensor, "scatter_list")
        send, _ = pg.to_buffer(ember.stack(list(scatter_list)).contiguous(), reduce=False)
    elif scatter_list:
        raise ValueError("scatter: scatter_list must be None or empty on non-source ranks")
    recv, write_back = pg.to_buffer(tensor, reduce=False)
    test = pg.scatter(send, recv, root)
    return _launch(_describe(f"scatter from rank {src}", tensor), pg, test, [write_back], async_op,
                   [tensor])


def isend(tensor, dst: int, group=None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to global rank ``dst``; returns the ``Work``."""
    _check_tensor(tensor)
    pg = _resolve(group)
    buf, _ = pg.to_buffer(tensor, reduce=False)
    test = pg.send(buf, pg.group_rank(dst), tag)
    return Work(_describe(f"send to rank {dst} (tag {tag})", tensor), pg, test, None, [tensor])


def irecv(tensor, src: int | None = None, group=None, tag: int = 0) -> Work:
    """Start receiving into ``tensor`` from global rank ``src`` (any rank when None)."""
    _check_tensor(tensor)
    pg = _resolve(group)
    buf, write_back = pg.to_buffer(tensor, reduce=False)
    test, source = pg.recv(buf, None if src is None else pg.group_rank(src), tag)
    who = "any rank" if src is None else f"rank {src}"
    work = Work(_describe(f"recv from {who} (tag {tag})", tensor), pg, test, write_back, [tensor])
    work.source_rank = lambda: pg.global_rank(source())
    return work


def send(tensor, dst: int, group=None, tag: int = 0) -> None:
    """Send ``tensor`` to global rank ``dst`` (blocks until it is sent)."""
    isend(tensor, dst, group, tag).wait()


def recv(tensor, src: int | None = None, group=None, tag: int = 0) -> int:
    """Receive into ``tensor`` from global rank ``src`` (any when None); returns the sender."""
    work = irecv(tensor, src, group, tag)
    work.wait()
    return work.source_rank()


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank of ``group`` reaches the barrier."""
    pg = _resolve(group)
    return _launch("barrier", pg, pg.barrier(), [], async_op)


__all__ = ["all_gather", "all_gather_into_tensor", "all_reduce", "barrier", "broadcast", "gather",
           "irecv", "isend", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor",
           "scatter", "send"]
