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

    __slots__ = ("backward", "next_functions", "saved", "versions", "ctx", "out_meta",
                 "pre_hooks", "hooks", "trace", "_name", "__weakref__")

    def __init__(self, backward, name: str, inputs, saved=(), ctx=None):
        self.backward = backward
        self._name = name
        self.next_functions = tuple(map(edge_of, inputs))
        self.saved = saved
        self.versions = tuple(t._version_counter()[0] if t is not None else None
                              for t in saved) if saved else ()
        self.ctx = ctx
        self.out_meta = None  # (shape, dtype, device) per output, set for multi-output nodes
        self.pre_hooks = None  # {out_nr: {id: hook}}: tensor hooks of non-leaf outputs
        self.hooks = None  # {id: hook(grad_inputs, grad_outputs)}
        self.trace = traceback.format_stack()[:-3] if anomaly_mode.enabled else None

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

    def __init__(self, leaf):
        self.backward = None
        self._name = "AccumulateGrad"
        self.next_functions = ()
        self.saved, self.versions, self.ctx, self.out_meta = (), (), None, None
        self.pre_hooks = self.hooks = self.trace = None
        self.variable = leaf

    def accumulate(self, grad, keep_graph: bool = False) -> None:
        leaf = self.variable
        if grad.shape != leaf.shape:
            raise RuntimeError(f"Function AccumulateGrad returned an invalid gradient - got "
                               f"{list(grad.shape)} but expected shape compatible with "
                               f"{list(leaf.shape)}")
        if not keep_graph:  # create_graph=False: store a plain, private copy
            grad = grad.detach()
            if leaf.grad is None:
                leaf.grad = grad.clone() if grad.dtype == leaf.dtype else grad.to(leaf.dtype)
            else:
                leaf.grad.add_(grad)
        else:  # create_graph=True: keep the graph of the gradient
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad


def edge_of(t):
    """The (node, output number) a gradient for ``t`` flows to, or None if ``t`` needs none."""
    from .._tensor import Tensor

    if type(t) is not Tensor and not isinstance(t, Tensor):
        return None
    if t.grad_fn is not None:
        return (t.grad_fn, t._out_nr)
    if t._rg:
        return (t._accumulator(), 0)
    return None
