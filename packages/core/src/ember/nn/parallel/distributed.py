"""``DistributedDataParallel``: one model replica per process, gradients averaged in backward."""

from __future__ import annotations

import contextlib

import ember
import ember.distributed as dist

from ..modules.module import Module
from .reducer import Reducer


def _flatten_outputs(out) -> list:
    """The tensors inside a forward's output (nested tuples, lists and dicts)."""
    if isinstance(out, ember.Tensor):
        return [out]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _flatten_outputs(o)]
    if isinstance(out, dict):
        return [t for o in out.values() for t in _flatten_outputs(o)]
    return []


def _broadcast_coalesced(tensors: list, src: int, group) -> None:
    """Broadcast ``tensors`` from global rank ``src``, one flat message per dtype and device."""
    by_kind: dict = {}
    for t in tensors:
        by_kind.setdefault((t.dtype, str(t.device)), []).append(t)
    with ember.no_grad():
        for same in by_kind.values():
            flat = ember.cat([t.detach().reshape(-1) for t in same])
            dist.broadcast(flat, src, group=group)
            offset = 0
            for t in same:
                t.copy_(flat[offset:offset + t.numel()].view(t.shape))
                offset += t.numel()


class DistributedDataParallel(Module):
    """Data parallelism: every process holds a replica of ``module``, sees its own share of the
    data, and backward averages the gradients over all processes, so that all replicas take the
    same optimizer step.

    At construction the parameters and buffers of rank 0 are broadcast to every rank. During
    backward, gradients are all-reduced (averaged) in buckets of ``bucket_cap_mb``, each
    starting as soon as its gradients are ready, overlapping communication with the rest of
    backward. The all-reduce finishes before ``backward()`` returns.

    Args:
        module: the model to replicate.
        device_ids, output_device, dim: accepted for PyTorch compatibility (the module runs on
            the device its parameters are on).
        broadcast_buffers: broadcast rank 0's buffers (e.g. BatchNorm running stats) at the
            start of every forward. Default: True.
        init_sync: broadcast rank 0's parameters and buffers at construction. Default: True.
        process_group: the group to average over (default: the default group).
        bucket_cap_mb: bucket size in MiB. Default: 25.
        find_unused_parameters: detect, at each forward, the parameters the output does not
            depend on (needed when some parameters get no gradient). Default: False.
        gradient_as_bucket_view, static_graph, check_reduction: accepted for compatibility;
            they change no result.

    Shape:
        whatever ``module`` takes and returns.

    Examples::

        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(nn.Linear(10, 1))
        >>> loss = model(x).pow(2).mean()
        >>> loss.backward()               # grads are now averaged over all ranks
        >>> with model.no_sync():         # gradient accumulation without communication
        ...     model(x2).sum().backward()
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False) -> None:
        super().__init__()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.process_group = process_group
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._src = dist.get_global_rank(process_group, 0) if process_group is not None else 0
        if init_sync:
            _broadcast_coalesced([p for _, p in module.named_parameters()] + self._buffers_list(),
                                 self._src, process_group)
        self.reducer = Reducer(named, process_group, self.bucket_bytes_cap, find_unused_parameters)

    def _buffers_list(self) -> list:
        return [b for _, b in self.module.named_buffers()]

    def forward(self, *inputs, **kwargs):
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = self._buffers_list()
            if buffers and dist.get_world_size(self.process_group) > 1:
                _broadcast_coalesced(buffers, self._src, self.process_group)
        syncing = ember.is_grad_enabled() and self.require_backward_grad_sync
        if syncing and self.reducer.expecting:
            raise RuntimeError(self.reducer._unfinished_message())
        out = self.module(*inputs, **kwargs)
        if syncing:
            self.reducer.prepare_for_backward(_flatten_outputs(out) if self.find_unused_parameters
                                              else [])
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forward/backward accumulate gradients locally without communication; the
        first backward after it averages the accumulated gradients."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old


__all__ = ["DistributedDataParallel"]
