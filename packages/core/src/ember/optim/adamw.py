"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter)."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW, exactly as ``torch.optim.AdamW``: Adam whose weight decay shrinks the parameter
    directly (:math:`\theta \leftarrow \theta (1 - \gamma\lambda)`) instead of entering the
    gradient and the moment estimates.

    Args:
        params (iterable): tensors or parameter groups to optimize.
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the moments. Default: (0.9, 0.999).
        eps (float): added to the denominator for stability. Default: 1e-8.
        weight_decay (float): decoupled weight decay coefficient. Default: 1e-2.
        amsgrad (bool): use the AMSGrad variant. Default: False.
        maximize (bool): maximize the objective instead. Default: False.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # AdamW state dicts from older PyTorch lack the flag
            group["decoupled_weight_decay"] = True
