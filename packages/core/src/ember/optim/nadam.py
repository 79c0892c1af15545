"""NAdam: Adam with Nesterov momentum (Dozat), with momentum decay."""

from __future__ import annotations

from ..ops.creation import zeros_like
from .optimizer import Optimizer, _check_betas, _check_range, _step_tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, exactly as ``torch.optim.NAdam``.

    The momentum coefficient warms up as :math:`\mu_t = \beta_1 (1 - \frac12
    0.96^{t\psi})`; the running product :math:`\prod \mu_i` is kept in the state
    (``mu_product``, a 0-d tensor like ``step``).

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates. Default: (0.9, 0.999).
        eps (float): added to the denominator for stability. Default: 1e-8.
        weight_decay (float): weight decay. Default: 0.
        momentum_decay (float): :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool): decay the parameter directly (AdamW-style).
            Default: False.
        maximize (bool): maximize the objective instead. Default: False.
    """

    _tensor_step = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_range(0.0 <= lr, "learning rate", lr)
        _check_range(0.0 <= eps, "epsilon value", eps)
        _check_betas(betas)
        _check_range(0.0 <= weight_decay, "weight_decay value", weight_decay)
        _check_range(0.0 <= momentum_decay, "momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        momentum_decay = group["momentum_decay"]
        for p, grad in self._params_with_grad(group):
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                state["mu_product"] = _step_tensor(1.0)
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
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
            # the product lives in a (float32 by default) tensor: its rounding is part of the
            # algorithm's numbers in PyTorch, so keep it there too
            mu_product = state["mu_product"].mul_(mu).item()
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.div(1 - beta2 ** step).sqrt().add_(eps)
            p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_product))
            p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1.0 - mu_product * mu_next))
