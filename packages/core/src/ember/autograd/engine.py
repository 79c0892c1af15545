"""The backward pass: visit the graph in reverse topological order, summing gradients per node.

``backward`` accumulates into the leaves' ``.grad``; ``grad`` returns the gradients of chosen
inputs instead. With ``create_graph=True`` the backward functions run with grad mode on, so the
gradients are themselves differentiable (higher-order derivatives).
"""

from __future__ import annotations

from . import anomaly_mode
from .grad_mode import state
from .graph import AccumulateGrad, edge_of


def _dependencies(roots) -> dict:
    """For every node reachable from ``roots``: how many edges point at it."""
    deps = dict.fromkeys(roots, 0)
    stack = list(deps)
    while stack:
        for e in stack.pop().next_functions:
            if e is not None:
                nxt = e[0]
                if nxt in deps:
                    deps[nxt] += 1
                else:
                    deps[nxt] = 1
                    stack.append(nxt)
    return deps


def _check_inplace_leaf(t) -> None:
    if t._rg and t.grad_fn is None and state.grad_enabled:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")


def _zeros_for(node, i):
    from ..ops.creation import zeros

    shape, dtype, device = node.out_meta[i]
    return zeros(shape, dtype=dtype, device=device)


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().sum()):
            trace = "".join(node.trace or ["(no forward traceback: the node was made outside "
                                           "detect_anomaly)\n"])
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.\nTraceback of the forward call that made it:\n{trace}")


def _run_pre_hooks(node, buf: dict) -> None:
    for nr, hooks in node.pre_hooks.items():
        if nr in buf:
            for hook in list(hooks.values()):
                new = hook(buf[nr])
                if new is not None:
                    buf[nr] = new


def _grads_out(node, buf: dict) -> list:
    """The gradient of each output, zeros for outputs of multi-output nodes that got none."""
    return [buf[i] if i in buf else _zeros_for(node, i) for i in range(len(node.out_meta))]


def _call(node, buf: dict) -> tuple:
    grads_out = [buf.get(0)] if node.out_meta is None else _grads_out(node, buf)
    grads_in = node.backward(node, *grads_out)
    if type(grads_in) is not tuple:
        grads_in = tuple(grads_in) if isinstance(grads_in, list) else (grads_in,)
    if anomaly_mode.enabled:
        _check_nan(node, grads_in)
    if node.hooks:
        for hook in list(node.hooks.values()):
            new = hook(grads_in, tuple(grads_out))
            if new is not None:
                grads_in = tuple(new)
    return grads_in


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None,
                 allow_unused: bool = False):
    """Propagate ``grad_roots`` from the ``roots`` tensors. With ``inputs``, return their
    gradients (``autograd.grad``) instead of accumulating into ``.grad``."""
    buffers: dict = {}  # node → {output number: gradient so far}
    for i, (t, g) in enumerate(zip(roots, grad_roots)):
        e = edge_of(t)
        if e is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        buf = buffers.setdefault(e[0], {})
        buf[e[1]] = g if e[1] not in buf else buf[e[1]] + g
    deps = _dependencies(list(buffers))

    captured = want = None
    if inputs is not None:  # autograd.grad: where each wanted gradient will show up
        captured, want = {}, {}
        for i, t in enumerate(inputs):
            e = edge_of(t)
            if e is None:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                                   "require grad")
            want.setdefault(e, []).append(i)

    # a root that another root also reaches waits for that edge like any other node
    ready = [n for n in buffers if deps[n] == 0]
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None)
            if buf:
                if node.pre_hooks:
                    _run_pre_hooks(node, buf)
                if want is not None:
                    for nr, g in buf.items():
                        for i in want.get((node, nr), ()):
                            captured[i] = g
                if node.backward is None:  # AccumulateGrad
                    if captured is None and 0 in buf:
                        node.accumulate(buf[0], create_graph)
                        if node.post_hooks:
                            for hook in list(node.post_hooks.values()):
                                hook(node.variable)
                    continue
                grads_in = _call(node, buf)
                if not retain_graph:
                    node.saved = None
            else:  # no gradient reached this node: only release its successors
                grads_in = ()
            for e, g in zip(node.next_functions, grads_in) if grads_in else \
                    ((e, None) for e in node.next_functions):
                if e is None:
                    continue
                nxt, nr = e
                if g is not None:
                    b = buffers.get(nxt)
                    if b is None:
                        buffers[nxt] = {nr: g}
                    else:
                        b[nr] = g if nr not in b else b[nr] + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
    finally:
        state.grad_enabled = prev_mode

    if captured is None:
        return None
    result = []
    for i in range(len(inputs)):
        if i not in captured and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is "
                               "the desired behavior.")
        result.append(captured.get(i))
    return tuple(result)


__all__ = ["run_backward", "AccumulateGrad"]
