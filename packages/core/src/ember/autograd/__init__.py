"""Define-by-run automatic differentiation.

Every op that involves a tensor with ``requires_grad=True`` records a node (``graph.py``);
``backward``/``grad`` walk those nodes in reverse (``engine.py``). Derivatives are ember ops, so
``create_graph=True`` gives higher-order gradients on any backend.
"""

from __future__ import annotations

from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import run_backward
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .graph import Node

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "Function", "gradcheck", "gradgradcheck", "Node"]


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _grad_roots(outputs, grad_outputs):
    from .._tensor import Tensor
    from ..ops.creation import tensor

    grads = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad_tensors has {len(grads)} elements but there are "
                           f"{len(outputs)} tensors")
    roots = []
    for out, g in zip(outputs, grads):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            g = _one_like(out)
        elif not isinstance(g, Tensor):
            g = tensor(g, dtype=out.dtype, device=out.device)
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                               f"{list(g.shape)} and output[0] has a shape of {list(out.shape)}.")
        roots.append(g)
    return roots


def _one_like(t):
    from .._tensor import wrap

    return wrap(t._be.kernels["full"](t._data.shape, 1, t._data.dtype, t._device.index), t)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the graph's leaves."""
    outputs = _as_list(tensors)
    roots = _grad_roots(outputs, grad_tensors)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:  # accumulate only into these tensors' .grad
        inputs = _as_list(inputs)
        grads = run_backward(outputs, roots, retain, create_graph, inputs, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t._accumulator().accumulate(g, create_graph)
        return
    run_backward(outputs, roots, retain, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    roots = _grad_roots(outs, grad_outputs)
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(outs, roots, retain, create_graph, ins,
                          allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        from ..ops.creation import zeros_like

        result = tuple(zeros_like(i) if g is None else g for i, g in zip(ins, result))
    return result


from .function import Function  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
