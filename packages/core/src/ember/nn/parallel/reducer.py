"""The gradient reducer of DistributedDataParallel: buckets, hooks, overlapped all-reduce.

Parameters are packed into buckets of about ``bucket_cap_mb`` in *reverse* registration order
(roughly the order in which backward produces their gradients; the first bucket holds at most
1 MiB so that communication starts early). A post-accumulate-grad hook marks a parameter ready;
when all of a bucket's parameters are ready, its flattened gradients start an asynchronous
all-reduce (AVG) while backward goes on (each later hook polls it, which is what moves MPI
along). Buckets launch strictly in bucket order so that every rank issues the same collectives
in the same order. When the last bucket has launched, the reducer waits for all of them and
writes the averaged gradients back into ``param.grad``.
"""

from __future__ import annotations

import ember
import ember.distributed as dist

_FIRST_BUCKET_BYTES = 1024 * 1024  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    """Parameters reduced together (one dtype and device) and the state of this iteration."""

    def __init__(self, params: list) -> None:
        self.params = params
        self.pending: set[int] = set()
        self.flat = None
        self.work = None


def assign_buckets(params: list, bucket_cap_bytes: int, first_bucket_bytes: int = _FIRST_BUCKET_BYTES):
    """Split ``params`` (reversed) into lists of at most the byte caps, one dtype/device each."""
    buckets, open_ = [], {}  # open_: (dtype, device) → (params, bytes)
    for p in reversed(params):
        key = (p.dtype, str(p.device))
        cur, size = open_.get(key, ([], 0))
        cur.append(p)
        size += p.numel() * p.element_size()
        cap = min(first_bucket_bytes, bucket_cap_bytes) if not buckets else bucket_cap_bytes
        if size >= cap:
            buckets.append(cur)
            cur, size = [], 0
        open_[key] = (cur, size)
    buckets.extend(cur for cur, _ in open_.values() if cur)
    return buckets


def _reachable_leaves(outputs) -> set[int]:
    """ids of the leaf tensors that the autograd graph of ``outputs`` reaches."""
    seen, leaves = set(), set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    stack += [t._accumulator() for t in outputs if t.grad_fn is None and t.requires_grad]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            leaves.add(id(variable))
        stack.extend(e[0] for e in node.next_functions if e is not None)
    return leaves


class Reducer:
    """Averages the gradients of ``named_params`` over ``process_group`` during backward.

    Args:
        named_params: ``[(name, parameter)]`` in registration order (requires_grad only).
        process_group: the group to average over (None: the default group).
        bucket_cap_bytes: bucket size limit.
        find_unused_parameters: find, at each forward, the parameters its output does not
            depend on and count them as ready (else backward would wait for them forever).
    """

    def __init__(self, named_params: list, process_group, bucket_cap_bytes: int,
                 find_unused_parameters: bool) -> None:
        self.names = {id(p): n for n, p in named_params}
        self.group = process_group
        self.find_unused = find_unused_parameters
        self.buckets = [_Bucket(b) for b in assign_buckets([p for _, p in named_params],
                                                           bucket_cap_bytes)]
        self.bucket_of = {id(p): i for i, b in enumerate(self.buckets) for p in b.params}
        self.expecting = False  # between a syncing forward and the end of its backward
        self.next_bucket = 0
        self.locally_used: set[int] = set()
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad_ready)
                        for _, p in named_params]

    def prepare_for_backward(self, outputs) -> None:
        """Arm the hooks for the backward of this forward's ``outputs``."""
        if self.expecting:
            raise RuntimeError(self._unfinished_message())
        self.expecting, self.next_bucket, self.locally_used = True, 0, set()
        for b in self.buckets:
            b.pending = {id(p) for p in b.params}
            b.flat = b.work = None
        if self.find_unused:
            reached = _reachable_leaves(outputs)
            for b in self.buckets:
                for p in b.params:
                    if id(p) not in reached:
                        self._mark_ready(p)

    def _on_grad_ready(self, param) -> None:
        if self.expecting and id(param) in self.bucket_of:
            self.locally_used.add(id(param))
            self._mark_ready(param)
            self._progress()

    def _progress(self) -> None:
        """Poll the running all-reduces: MPI moves nonblocking messages along only when asked,
        so each gradient hook gives the communication of the earlier buckets a push."""
        for b in self.buckets[:self.next_bucket]:
            if b.work is not None:
                b.work.is_completed()

    def _mark_ready(self, param) -> None:
        self.buckets[self.bucket_of[id(param)]].pending.discard(id(param))
        while self.next_bucket < len(self.buckets) and not self.buckets[self.next_bucket].pending:
            self._launch(self.buckets[self.next_bucket])
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, bucket: _Bucket) -> None:
        grads = [(p.grad if p.grad is not None else ember.zeros_like(p)).detach().reshape(-1)
                 for p in bucket.params]
        bucket.flat = ember.cat(grads) if len(grads) > 1 else grads[0].clone()
        bucket.work = dist.all_reduce(bucket.flat, op=dist.ReduceOp.AVG, group=self.group,
                                      async_op=True)

    def _globally_used(self) -> set[int]:
        """ids of the parameters some rank used (one extra all-reduce of a 0/1 map)."""
        params = [p for b in self.buckets for p in b.params]
        used = ember.tensor([1.0 if id(p) in self.locally_used else 0.0 for p in params])
        dist.all_reduce(used, op=dist.ReduceOp.MAX, group=self.group)
        return {id(p) for p, u in zip(params, used.tolist(), strict=True) if u > 0}

    def _finalize(self) -> None:
        self.expecting = False
        for b in self.buckets:
            b.work.wait()
        used = self._globally_used() if self.find_unused else None
        with ember.no_grad():
            for b in self.buckets:
                offset = 0
                for p in b.params:
                    n = p.numel()
                    if used is None or id(p) in used:
                        g = b.flat[offset:offset + n].view(p.shape)
                        if p.grad is None:
                            p.grad = g.clone()
                        else:
                            p.grad.copy_(g)
                    offset += n
                b.flat = b.work = None

    def _unfinished_message(self) -> str:
        pending = {i for b in self.buckets for i in b.pending}
        missing = [name for i, name in self.names.items() if i in pending]
        return ("Expected to have finished reduction in the prior iteration before starting a new "
                "one. This error indicates that your module has parameters that were not used in "
                "producing loss. You can enable unused parameter detection by passing the keyword "
                "argument `find_unused_parameters=True` to `ember.nn.parallel."
                "DistributedDataParallel`, and by making sure all `forward` function outputs "
                "participate in calculating loss. Parameters which did not receive grad for rank "
                f"{dist.get_rank(self.group)}: {', '.join(missing)}")

    def remove_hooks(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []
