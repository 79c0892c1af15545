"""The backward pass: visit the graph in reverse topological order, summing gradients per node.

``backward`` accumulates into the leaves' ``.grad``; ``grad`` returns the gradients of chosen
inputs instead. With ``create_graph=True`` the backward functions run with grad mode on, so the
gradients are themselves differentiable (higher-order derivatives).
"""

from __future__ import annotations

from . import anomaly_mode
from .grad_mode import state
from .graph import AccumulateGrad, edge_of


def _order(roots):
    """Nodes reachable from ``roots`` and, for each, how many edges point at it."""
    deps: dict = {}
    stack = [n for n in roots if n is not None]
    for n in stack:
        deps.setdefault(n, 0)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for e in node.next_functions:
            if e is None:
                continue
            nxt = e[0]
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _check_inplace_leaf(t) -> None:
    if t._rg and t.grad_fn is None and state.grad_enabled:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")


def _zeros_for(node, i):
    from .. import zeros

    shape, dtype, device = node.out_meta[i]
    return zeros(shape, dtype=dtype, device=device)


def _check_nan(node, grads):
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            trace = "".join(node.trace or ["(no forward traceback: the node was made outside "
                                           "detect_anomaly)\n"])
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.\nTraceback of the forward call that made it:\n{trace}")


def _release(node, deps, ready):
    for e in node.next_functions:
        if e is not None:
            deps[e[0]] -= 1
            if deps[e[0]] == 0:
                ready.append(e[0])


def run_backward(roots, grad_roots, retain_graph: bool, create_graph: bool, inputs=None,
                 allow_unused: bool = False):
    """Propagate ``grad_roots`` from the ``roots`` tensors. With ``inputs``, return their
    gradients (``autograd.grad``) instead of accumulating into ``.grad``."""
    root_edges = [edge_of(t) for t in roots]
    for t, e in zip(roots, root_edges):
        if e is None:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
    deps = _order([e[0] for e in root_edges])
    buffers: dict = {}
    for (node, nr), g in zip(root_edges, grad_roots):
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g

    captured = None
    if inputs is not None:  # autograd.grad: where each wanted gradient will show up
        captured = {}
        want = {}
        for i, t in enumerate(inputs):
            e = edge_of(t)
            if e is None:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                                   "require grad")
            want.setdefault(e, []).append(i)

    # a root that another root also reaches waits for that edge like any other node
    ready = [n for n in dict.fromkeys(e[0] for e in root_edges) if deps[n] == 0]

    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, {})
            if node.pre_hooks:
                for nr, hooks in node.pre_hooks.items():
                    if nr in buf:
                        for hook in list(hooks.values()):
                            new = hook(buf[nr])
                            if new is not None:
                                buf[nr] = new
            if captured is not None:
                for nr, g in buf.items():
                    for i in want.get((node, nr), ()):
                        captured[i] = g
            if isinstance(node, AccumulateGrad):
                if captured is None and 0 in buf:
                    node.accumulate(buf[0], create_graph)
                continue
            if not buf:  # no gradient reached this node: only release its successors
                _release(node, deps, ready)
                continue
            n_out = len(node.out_meta) if node.out_meta else 1
            grads_out = [buf.get(i) for i in range(n_out)]
            if n_out > 1:
                grads_out = [g if g is not None else _zeros_for(node, i)
                             for i, g in enumerate(grads_out)]
            elif grads_out[0] is None:
                grads_out[0] = _zeros_for(node, 0) if node.out_meta else None
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
            if not retain_graph:
                node.saved = None
            for e, g in zip(node.next_functions, grads_in):
                if e is None:
                    continue
                nxt, nr = e
                if g is not None:
                    b = buffers.setdefault(nxt, {})
                    b[nr] = g if nr not in b else b[nr] + g
                deps[nxt] -= 1
                if deps[nxt] == 0:
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
