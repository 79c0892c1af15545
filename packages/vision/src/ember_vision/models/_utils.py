"""Helpers shared by the model builders."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ember import Tensor, nn

from ._api import WeightsEnum


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor`` without going below 90% of ``v``
    (the rule of the original TensorFlow MobileNet code; checkpoints depend on it)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _init_mobilenet(model: nn.Module,
                    init_linear: Callable[[Tensor], None] | None = None) -> None:
    """torchvision's initialisation of MobileNet V2/V3 (and EfficientNet): Kaiming-normal
    (fan_out) convolutions, norm layers set to the identity, zero biases, and linear weights
    from N(0, 0.01), or drawn by ``init_linear(weight)`` where the model differs."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            if init_linear is None:
                nn.init.normal_(m.weight, 0, 0.01)
            else:
                init_linear(m.weight)
            nn.init.zeros_(m.bias)


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    """Set ``kwargs[param]`` to what the weights require; a conflicting user value is an error."""
    if param in kwargs and kwargs[param] != new_value:
        raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                         f"{kwargs[param]} instead.")
    kwargs[param] = new_value


def _weights_kwargs(weights: WeightsEnum | None, kwargs: dict[str, Any]) -> None:
    """Fix ``num_classes`` to the checkpoint's category count when weights are given (a
    features-only checkpoint, whose ``categories`` is None, leaves it free)."""
    if weights is not None and weights.meta.get("categories") is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))


def _load_weights(model: nn.Module, weights: WeightsEnum | None, progress: bool) -> nn.Module:
    """Download (with its hash checked) and load ``weights`` into ``model``, strictly."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


class IntermediateLayerGetter(nn.ModuleDict):
    """Run a model's direct children in order and return the outputs of ``return_layers``.

    Children after the last requested one are dropped, so their parameters are not in the
    ``state_dict``.

    Args:
        model (nn.Module): the backbone.
        return_layers (dict): ``{child name: output name}``.
    """

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if not set(return_layers).issubset(name for name, _ in model.named_children()):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            return_layers.pop(name, None)
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
