"""``softmax`` and ``log_softmax`` along a dimension, numerically stable (the row maximum is
subtracted first), with their derivatives written from the saved output.

A backend may register kernels ``softmax(x, dim)`` / ``log_softmax(x, dim)`` as fast paths (the
CPU backend does, in ``ember/backends/cpu_special.py``); otherwise the decomposition runs.
"""

from __future__ import annotations

from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..amp import state as amp
from ._dispatch import needs_grad, record
from .elementwise import where


def _shifted(x: Tensor, dim: int) -> Tensor:
    """x minus its (finite) maximum along ``dim``: exp of it cannot overflow."""
    m = x.detach().amax(dim, keepdim=True)
    return x - where(m.isfinite(), m, 0.0)


def _softmax_decomposition(x: Tensor, dim: int) -> Tensor:
    e = _shifted(x, dim).exp()
    return e / e.sum(dim, keepdim=True)


def _log_softmax_decomposition(x: Tensor, dim: int) -> Tensor:
    z = _shifted(x, dim)
    return z - z.exp().sum(dim, keepdim=True).log()


def _softmax_backward(node, g):
    (y,) = node.saved_tensors()
    return (y * (g - (g * y).sum(node.ctx, keepdim=True)),)


def _log_softmax_backward(node, g):
    (y,) = node.saved_tensors()
    return (g - y.exp() * g.sum(node.ctx, keepdim=True),)


def _normalized(name: str, decomposition, backward, node_name: str):
    def op(input: Tensor, dim: int, dtype=None) -> Tensor:
        x = input if dtype is None else input.to(dtype)
        if amp.state.active and dtype is None:
            (x,) = amp.full(x)  # softmax is on autocast's float32 list
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            kind = x.type().rsplit(".", 1)[-1][:-len("Tensor")]
            raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for \'{kind}\'')
        if x.ndim == 0:  # a scalar is a row of one
            return op(x.reshape(1), 0).reshape(())
        d = _wrap_dim(dim, x.ndim)
        if x.numel() == 0:
            return x.clone()
        k = x._be.kernels.get(name)
        if k is None:
            return decomposition(x, d)
        out = wrap(k(x._data, d), x)
        if needs_grad(x):
            record(out, backward, node_name, (x,), (out,), d)
        return out

    op.__name__ = op.__qualname__ = name
    op.op_name, op.decomposition = name, decomposition
    op.__doc__ = (f"``{name}`` of ``input`` along ``dim``; ``dtype`` casts the input first.\n\n"
                  "    Shape: any; the output has the input's shape.")
    return op


softmax = _normalized("softmax", _softmax_decomposition, _softmax_backward, "SoftmaxBackward0")
log_softmax = _normalized("log_softmax", _log_softmax_decomposition, _log_softmax_backward,
                          "LogSoftmaxBackward0")
tensor_method(softmax)
tensor_method(log_softmax)

__all__ = ["softmax", "log_softmax"]
