"""RAdam: Adam with a rectified adaptive learning rate (Liu et al.)."""

from __future__ import annotations

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _check_betas, _check_range, _step_tensor

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, exactly as ``torch.optim.RAdam``.

    While the variance of the adaptive rate is intractable (:math:`\rho_t \le 5`) the step is
    SGD with bias-corrected momentum; afterwards it is Adam's step times the rectification term
    :math:`r_t`.

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates. Default: (0.9, 0.999).
        eps (float): added to the denominator for stability. Default: 1e-8.
        weight_decay (float): weight decay. Default: 0.
        decoupled_weight_decay (bool): decay the parameter directly (AdamW-style).
            Default: False.
        maximize (bool): maximize the objective instead. Default: False.
    """

    _tensor_step = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_range(0.0 <= lr, "learning rate", lr)
        _check_range(0.0 <= eps, "epsilon value", eps)
        _check_betas(betas)
        _check_range(0.0 <= weight_decay, "weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, grad in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
            if group["maximize"]:
                grad = -grad
            step = state["step"].add_(1).item()
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(p, alpha=weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected = exp_avg / bias_correction1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive_lr = (bias_correction2 ** 0.5) / exp_avg_sq.sqrt().add_(eps)
                p.add_(corrected * lr * adaptive_lr * rect, alpha=-1.0)
            else:
                p.add_(corrected * lr, alpha=-1.0)
