"""Adadelta (Zeiler): per-coordinate step sizes from running averages of squares."""

from __future__ import annotations

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _check_range, _step_tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, exactly as ``torch.optim.Adadelta``.

    :math:`v_t = \rho v_{t-1} + (1-\rho) g_t^2`, :math:`\Delta_t = \frac{\sqrt{u_{t-1} +
    \epsilon}}{\sqrt{v_t + \epsilon}} g_t`, :math:`u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2`,
    :math:`\theta_t = \theta_{t-1} - \gamma \Delta_t`.

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): scale of the delta. Default: 1.0.
        rho (float): decay of the running averages. Default: 0.9.
        eps (float): added inside the square roots. Default: 1e-6.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        maximize (bool): maximize the objective instead. Default: False.
    """

    _tensor_step = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_range(0.0 <= lr, "learning rate", lr)
        _check_range(0.0 <= rho <= 1.0, "rho value", rho)
        _check_range(0.0 <= eps, "epsilon value", eps)
        _check_range(0.0 <= weight_decay, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], \
            group["weight_decay"]
        for p, grad in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["square_avg"] = zeros_like(p)
                state["acc_delta"] = zeros_like(p)
            if group["maximize"]:
                grad = -grad
            state["step"].add_(1)
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            p.add_(delta, alpha=-lr)
