"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _check_betas, _check_range, _step_tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, exactly as ``torch.optim.Adamax``.

    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`, :math:`u_t = \max(\beta_2 u_{t-1},
    |g_t| + \epsilon)`, :math:`\theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
    \frac{m_t}{u_t}`.

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates. Default: (0.9, 0.999).
        eps (float): added to :math:`|g_t|` for stability. Default: 1e-8.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        maximize (bool): maximize the objective instead. Default: False.
    """

    _tensor_step = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_range(0.0 <= lr, "learning rate", lr)
        _check_range(0.0 <= eps, "epsilon value", eps)
        _check_betas(betas)
        _check_range(0.0 <= weight_decay, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        for p, grad in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = zeros_like(p)
                state["exp_inf"] = zeros_like(p)
            if group["maximize"]:
                grad = -grad
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            step = state["step"].add_(1).item()
            exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_inf.copy_(exp_inf.mul_(beta2).maximum(grad.abs().add_(eps)))
            p.addcdiv_(exp_avg, exp_inf, value=-(lr / (1 - beta1 ** step)))
