"""The recorded graph: one ``Node`` per differentiable op call, edges to the nodes of its inputs.

A tensor made by an op points at its node (``tensor.grad_fn``) and at which output of it it is
(``tensor._out_nr``). A leaf that requires grad owns an ``AccumulateGrad`` node that adds the
incoming gradient into ``leaf.grad``. The engine (``engine.py``) walks this graph backwards.
"""

from __future__ import annotations

import traceback

from . import anomaly_mode


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._store = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Node:
    """A backward function plus what it needs: the saved tensors and the op's parameters.

    ``backward(node, *grad_outputs)`` returns one gradient (or None) per input; it is written
    with ember ops, so it runs on every backend and can itself be differentiated.
    """

    # the fields every node sets are slots; rarely used ones live in __dict__ when set
    __slots__ = ("backward", "next_functions", "saved", "versions", "ctx", "_name", "__dict__",
                 "__weakref__")
    out_meta = None  # (shape, dtype, device) per output, set for multi-output nodes
    pre_hooks = None  # {out_nr: {id: hook}}: tensor hooks of non-leaf outputs
    hooks = None  # {id: hook(grad_inputs, grad_outputs)}
    trace = None  # the forward traceback, under detect_anomaly

    def __init__(self, backward, name: str, inputs, saved=(), ctx=None):
        self.backward = backward
        self._name = name
        self.next_functions = tuple([edge_of(t) for t in inputs])
        self.saved = saved
        self.versions = tuple([t._version_counter()[0] if t is not None else None
                               for t in saved]) if saved else ()
        self.ctx = ctx
        if anomaly_mode.enabled:
            self.trace = traceback.format_stack()[:-3]

    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"

    def saved_tensors(self):
        """The saved tensors, checked against in-place changes since they were saved."""
        if self.saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        for i, (t, v) in enumerate(zip(self.saved, self.versions)):
            if t is None:
                continue
            now = t._version_counter()[0]
            if now != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}], which is saved tensor "
                    f"{i} of {self._name}, is at version {now}; expected version {v} instead. "
                    "Hint: enable anomaly detection to find the operation that failed to "
                    "compute its gradient, with ember.autograd.set_detect_anomaly(True).")
        return self.saved

    def register_hook(self, hook) -> RemovableHandle:
        """``hook(grad_inputs, grad_outputs)`` runs after this node; may return new grad_inputs."""
        if self.hooks is None:
            self.hooks = {}
        handle = RemovableHandle(self.hooks)
        self.hooks[handle.id] = hook
        return handle

    def register_prehook(self, hook, out_nr: int = 0) -> RemovableHandle:
        """``hook(grad)`` runs on output ``out_nr``'s gradient before this node; may replace it."""
        if self.pre_hooks is None:
            self.pre_hooks = {}
        hooks = self.pre_hooks.setdefault(out_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle


class AccumulateGrad(Node):
    """The node of a leaf: adds the gradient that reaches it into ``leaf.grad``."""

    __slots__ = ("variable",)
    post_hooks = None  # {id: hook(leaf)}: run after the gradient was accumulated into leaf.grad

    def __init__(self, leaf):
        self.backward, self._name, self.next_functions = None, "AccumulateGrad", ()
        self.saved, self.versions, self.ctx = (), (), None
        self.variable = leaf

    def register_post_accumulate_hook(self, hook) -> RemovableHandle:
        """``hook(leaf)`` runs after each accumulation of a gradient into ``leaf.grad``."""
        if self.post_hooks is None:
            self.post_hooks = {}
        handle = RemovableHandle(self.post_hooks)
        self.post_hooks[handle.id] = hook
        return handle

    def accumulate(self, grad, keep_graph: bool = False) -> None:
        leaf = self.variable
        if grad._data.shape != leaf._data.shape:
            raise RuntimeError(f"Function AccumulateGrad returned an invalid gradient - got "
                               f"{list(grad.shape)} but expected shape compatible with "
                               f"{list(leaf.shape)}")
        if keep_graph:  # create_graph=True: the gradient keeps its own graph
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            return
        # a plain, private copy (the incoming gradient may be shared with other leaves), or an
        # in-place sum into the existing .grad (so optimizers may hold on to it)
        kernels = leaf._be.kernels
        data = grad._data
        if data.dtype != leaf._data.dtype:
            data = kernels["astype"](data, leaf._data.dtype)
        if leaf.grad is None:
            leaf.grad = _wrap(kernels["contiguous"](data), leaf)
        else:
            acc = leaf.grad
            add_ = kernels.get("add_")  # optional in-place fast path: no temporary
            if add_ is not None:
                add_(acc._data, data)
            else:
                kernels["copy_"](acc._data, kernels["add"](acc._data, data))
            acc._bump_version()


_Tensor = _wrap = None  # set by _tensor.py once Tensor exists (it imports this module)


def edge_of(t):
    """The (node, output number) a gradient for ``t`` flows to, or None if ``t`` needs none."""
    if type(t) is not _Tensor and not isinstance(t, _Tensor):
        return None
    if t._vv is not None and t._vv != t._vc[0] and t._base.grad_fn is not None:
        from ..ops.shape import refresh_view  # the base was written in place since t was made

        refresh_view(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_nr)
    if t._rg:
        return (t._accumulator(), 0)
    return None

