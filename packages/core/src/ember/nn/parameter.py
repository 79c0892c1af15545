"""``Parameter``: a tensor that a ``Module`` registers as learnable when assigned as an attribute."""

from __future__ import annotations

from .._tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is listed by ``Module.parameters()``.

    Args:
        data: the tensor to wrap; the Parameter shares its memory.
        requires_grad: whether the parameter requires gradient. Default: ``True``.

    Examples::

        >>> w = nn.Parameter(ember.randn(3, 4))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        self = object.__new__(cls)
        self._data, self._device, self._be = data._data, data._device, data._be
        self._vc = data._version_counter()  # shares memory with data: one version counter
        if requires_grad:
            self.requires_grad_()
        return self

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = out
        return out


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a ``Module`` attribute.

    Args:
        data: the tensor; ``Module.__setattr__`` stores it as a (plain tensor) buffer.
        persistent: whether the buffer is part of the module's ``state_dict``.
    """

    def __new__(cls, data, *, persistent: bool = True):
        self = object.__new__(cls)
        self._data, self._device, self._be = data._data, data._device, data._be
        self._vc = data._version_counter()
        self.persistent = persistent
        return self


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)

