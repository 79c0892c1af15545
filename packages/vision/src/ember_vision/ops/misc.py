"""Building blocks shared by the model architectures (torchvision's ``ops.misc``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ember
from ember import Tensor, nn

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "MLP", "Permute", "FrozenBatchNorm2d"]


class Conv2dNormActivation(nn.Sequential):
    """``Conv2d`` → norm → activation, as one ``Sequential`` (children ``0``, ``1``, ``2``).

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        kernel_size (int or tuple): Default: 3.
        stride (int or tuple): Default: 1.
        padding (int, tuple or str, optional): Default None: ``(kernel_size - 1) // 2 * dilation``.
        groups (int): Default: 1.
        norm_layer (callable, optional): built with ``out_channels``; None skips it.
            Default: ``nn.BatchNorm2d``.
        activation_layer (callable, optional): None skips it. Default: ``nn.ReLU``.
        dilation (int or tuple): Default: 1.
        inplace (bool, optional): passed to the activation unless None. Default: True.
        bias (bool, optional): conv bias; default: only when there is no norm layer.

    Shape:
        - Input: ``(N, in_channels, H, W)``; Output: ``(N, out_channels, H', W')``.

    Examples::

        >>> block = Conv2dNormActivation(3, 16, stride=2)
        >>> block(ember.randn(1, 3, 32, 32)).shape
        ember.Size([1, 16, 16, 16])
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int | tuple[int, int] = 3,
                 stride: int | tuple[int, int] = 1,
                 padding: int | tuple[int, int] | str | None = None, groups: int = 1,
                 norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 dilation: int | tuple[int, int] = 1, inplace: bool | None = True,
                 bias: bool | None = None) -> None:
        if padding is None:
            padding = _same_padding(kernel_size, dilation)
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


def _same_padding(kernel_size, dilation):
    """The padding that keeps the size at stride 1: ``(k - 1) // 2 * d`` per dimension."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    n = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
    ks = (kernel_size,) * n if isinstance(kernel_size, int) else tuple(kernel_size)
    ds = (dilation,) * n if isinstance(dilation, int) else tuple(dilation)
    return tuple((k - 1) // 2 * d for k, d in zip(ks, ds))


class SqueezeExcitation(nn.Module):
    """Squeeze-and-Excitation (https://arxiv.org/abs/1709.01507): rescale channels by a gate
    computed from their global average.

    Args:
        input_channels (int): channels of the input.
        squeeze_channels (int): channels of the bottleneck.
        activation (callable): the ``delta`` activation. Default: ``nn.ReLU``.
        scale_activation (callable): the ``sigma`` gate. Default: ``nn.Sigmoid``.

    Shape:
        - Input: ``(N, C, H, W)``; Output: same shape.
    """

    def __init__(self, input_channels: int, squeeze_channels: int,
                 activation: Callable[..., nn.Module] = nn.ReLU,
                 scale_activation: Callable[..., nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: Tensor) -> Tensor:
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, input: Tensor) -> Tensor:
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Linear → (norm) → activation → dropout, repeated; the last layer is Linear → dropout.

    Args:
        in_channels (int): input features.
        hidden_channels (list of int): the width of every layer, the last is the output width.
        norm_layer (callable, optional): Default: None.
        activation_layer (callable, optional): Default: ``nn.ReLU``.
        inplace (bool, optional): passed to activation and dropout unless None.
        bias (bool): Default: True.
        dropout (float): Default: 0.0.

    Shape:
        - Input: ``(*, in_channels)``; Output: ``(*, hidden_channels[-1])``.
    """

    def __init__(self, in_channels: int, hidden_channels: list[int],
                 norm_layer: Callable[..., nn.Module] | None = None,
                 activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
                 inplace: bool | None = None, bias: bool = True, dropout: float = 0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """Permute the dimensions (``x.permute(dims)``) inside a ``Sequential``.

    Args:
        dims (list of int): the new order of the dimensions.
    """

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return ember.permute(x, self.dims)


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d whose statistics and affine parameters are fixed buffers (for detection
    backbones fine-tuned with tiny batches).

    Args:
        num_features (int): channels ``C``.
        eps (float): added to the variance. Default: 1e-5.

    Shape:
        - Input: ``(N, C, H, W)``; Output: same shape.
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # a BatchNorm2d checkpoint also has num_batches_tracked, which has no meaning here
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"
