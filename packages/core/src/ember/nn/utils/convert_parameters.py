"""``parameters_to_vector`` and ``vector_to_parameters``: all parameters as one flat vector."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param: Tensor, old) -> object:
    if old is not None and param.device != old:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened ``parameters`` into one vector (differentiable)."""
    from ...ops.joining import cat

    device = None
    vec = []
    for param in parameters:
        device = _check_device(param, device)
        vec.append(param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Make each parameter's data the next slice of ``vec`` (a view of it, like PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    with no_grad():
        for param in parameters:
            device = _check_device(param, device)
            n = param.numel()
            param.data = vec[pointer:pointer + n].view_as(param)
            pointer += n
