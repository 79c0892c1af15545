"""Adagrad (Duchi et al.), with learning-rate decay."""

from __future__ import annotations

from ..ops.creation import full_like
from .optimizer import Optimizer, _check_range, _step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, exactly as ``torch.optim.Adagrad``.

    :math:`s_t = s_{t-1} + g_t^2`, :math:`\theta_t = \theta_{t-1} - \frac{\gamma}{1 + (t-1)\eta}
    \frac{g_t}{\sqrt{s_t} + \epsilon}`. Its state is created for every parameter at construction
    (``sum`` starts at ``initial_accumulator_value``), like PyTorch's.

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): learning rate. Default: 1e-2.
        lr_decay (float): learning-rate decay :math:`\eta`. Default: 0.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        initial_accumulator_value (float): starting value of the sum of squares. Default: 0.
        eps (float): added to the denominator for stability. Default: 1e-10.
        maximize (bool): maximize the objective instead. Default: False.
    """

    _tensor_step = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_range(0.0 <= lr, "learning rate", lr)
        _check_range(0.0 <= lr_decay, "lr_decay value", lr_decay)
        _check_range(0.0 <= weight_decay, "weight_decay value", weight_decay)
        _check_range(0.0 <= initial_accumulator_value, "initial_accumulator_value value",
                     initial_accumulator_value)
        _check_range(0.0 <= eps, "epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update_group(self, group: dict) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay = group["weight_decay"]
        for p, grad in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:  # a group added after construction
                state["step"] = _step_tensor()
                state["sum"] = full_like(p, group["initial_accumulator_value"])
            if group["maximize"]:
                grad = -grad
            step = state["step"].add_(1).item()
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]
            state_sum.addcmul_(grad, grad, value=1)
            std = state_sum.sqrt().add_(eps)
            p.addcdiv_(grad, std, value=-clr)
