"""Custom differentiable operations: subclass ``Function`` with static ``forward``/``backward``.

    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    y = Exp.apply(x)
"""

from __future__ import annotations

from .grad_mode import no_grad, state
from .graph import Node


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``."""

    def __init__(self):
        self.to_save = ()
        self.dirty = ()
        self.non_differentiable = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._node = None

    def save_for_backward(self, *tensors) -> None:
        self.to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` modified in place."""
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    @property
    def saved_tensors(self):
        if self._node is None:
            return tuple(self.to_save)
        return self._node.saved_tensors()


class Function:
    """Base class of custom autograd functions; call ``MyFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        from .engine import _check_inplace_leaf

        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        tracked = state.grad_enabled and any(ctx.needs_input_grad)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        outputs = result if isinstance(result, tuple) else (result,)
        if not tracked:
            return result
        for t in ctx.dirty:  # forward's in-place op already bumped their version
            _check_inplace_leaf(t)
        node = Node(_make_backward(cls, ctx, len(args)), f"{cls.__name__}Backward", args,
                    tuple(ctx.to_save))
        ctx._node = node
        node.out_meta = [(o.shape, o.dtype, o.device) for o in outputs if isinstance(o, Tensor)]
        non_diff = {id(t) for t in ctx.non_differentiable}
        for i, o in enumerate(outputs):
            if isinstance(o, Tensor) and id(o) not in non_diff and \
                    (o.dtype.is_floating_point or o.dtype.is_complex):
                o.grad_fn, o._out_nr, o._rg = node, i, True
        return result


def _make_backward(cls, ctx, n_inputs):
    def backward(node, *grads):
        out = cls.backward(ctx, *grads)
        out = out if isinstance(out, tuple) else (out,)
        if len(out) < n_inputs:
            raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number "
                               f"of gradients (expected {n_inputs}, got {len(out)})")
        return tuple(out[:n_inputs])

    return backward
