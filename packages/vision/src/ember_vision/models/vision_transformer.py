"""Vision Transformer ViT-B/16, B/32, L/16, L/32, H/14 ("An Image is Worth 16x16 Words",
https://arxiv.org/abs/2010.11929)."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import ember
from ember import Tensor, nn

from ..ops.misc import MLP, Conv2dNormActivation
from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _ovewrite_named_param, _weights_kwargs

__all__ = ["VisionTransformer", "ConvStemConfig", "ViT_B_16_Weights", "ViT_B_32_Weights",
           "ViT_L_16_Weights", "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32",
           "vit_l_16", "vit_l_32", "vit_h_14"]


class ConvStemConfig(NamedTuple):
    """One convolution of an optional convolutional stem (https://arxiv.org/abs/2106.14881)."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class MLPBlock(MLP):
    """The transformer's feed-forward block: Linear → GELU → Dropout → Linear → Dropout."""

    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints of torchvision < 0.12 named the two layers linear_1 / linear_2
        for i in range(2):
            for kind in ("weight", "bias"):
                old_key = f"{prefix}linear_{i + 1}.{kind}"
                if old_key in state_dict:
                    state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(LN(x)), then + MLP(LN(·))."""

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise ValueError(f"Expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embeddings, the stack of :class:`EncoderBlock` and a final LayerNorm."""

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.pos_embedding = nn.Parameter(ember.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() != 3:
            raise ValueError(f"Expected (batch_size, seq_length, hidden_dim) got "
                             f"{tuple(input.shape)}")
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Vision Transformer: patches → linear embedding + class token → transformer → head.

    Args:
        image_size (int): the (square) input size the position embeddings are made for.
        patch_size (int): side of a patch.
        num_layers, num_heads, hidden_dim, mlp_dim (int): transformer size.
        dropout, attention_dropout (float): Default: 0.0.
        num_classes (int): Default: 1000.
        representation_size (int, optional): a tanh "pre-logits" layer of this width.
        norm_layer (callable): Default: LayerNorm(eps=1e-6).
        conv_stem_configs (list of ConvStemConfig, optional): a convolutional stem instead of
            the patch projection.

    Shape:
        - Input: ``(N, 3, image_size, image_size)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer: Callable[..., nn.Module] = partial(nn.LayerNorm, eps=1e-6),
                 conv_stem_configs: list[ConvStemConfig] | None = None):
        super().__init__()
        if image_size % patch_size != 0:
            raise ValueError(f"Input shape indivisible by patch size! ({image_size} % "
                             f"{patch_size})")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        self.conv_proj = (self._conv_stem(conv_stem_configs, hidden_dim) if conv_stem_configs
                          else nn.Conv2d(3, hidden_dim, kernel_size=patch_size, stride=patch_size))
        seq_length = (image_size // patch_size) ** 2 + 1  # + the class token
        self.class_token = nn.Parameter(ember.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        self._init_weights()

    @staticmethod
    def _conv_stem(configs: list[ConvStemConfig], hidden_dim: int) -> nn.Sequential:
        stem = nn.Sequential()
        prev = 3
        for i, cfg in enumerate(configs):
            stem.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                prev, cfg.out_channels, kernel_size=cfg.kernel_size, stride=cfg.stride,
                norm_layer=cfg.norm_layer, activation_layer=cfg.activation_layer))
            prev = cfg.out_channels
        stem.add_module("conv_last", nn.Conv2d(prev, hidden_dim, kernel_size=1))
        return stem

    def _init_weights(self) -> None:
        if isinstance(self.conv_proj, nn.Conv2d):
            k = self.conv_proj.kernel_size
            fan_in = self.conv_proj.in_channels * k[0] * k[1]
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.conv_proj.bias)
        else:
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            nn.init.zeros_(last.bias)
        if hasattr(self.heads, "pre_logits"):
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """(N, C, H, W) → (N, number of patches, hidden_dim)."""
        n, _, h, w = x.shape
        if h != self.image_size or w != self.image_size:
            raise AssertionError(f"Wrong image size! Expected {self.image_size}x"
                                 f"{self.image_size} but got {h}x{w}")
        p = self.patch_size
        x = self.conv_proj(x).reshape(n, self.hidden_dim, (h // p) * (w // p))
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        class_token = self.class_token.expand(x.shape[0], -1, -1)
        x = self.encoder(ember.cat([class_token, x], dim=1))
        return self.heads(x[:, 0])  # classify from the class token


def _vision_transformer(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int,
                        mlp_dim: int, weights, progress: bool,
                        **kwargs: Any) -> VisionTransformer:
    _weights_kwargs(weights, kwargs)
    if weights is not None:  # checkpoints fix the resolution (the position embeddings' length)
        _ovewrite_named_param(kwargs, "image_size", weights.meta["min_size"][0])
    image_size = kwargs.pop("image_size", 224)
    model = VisionTransformer(image_size=image_size, patch_size=patch_size,
                              num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                              mlp_dim=mlp_dim, **kwargs)
    return _load_weights(model, weights, progress)


ViT_B_16_Weights = weights_enum("ViT_B_16_Weights", __name__)
ViT_B_32_Weights = weights_enum("ViT_B_32_Weights", __name__)
ViT_L_16_Weights = weights_enum("ViT_L_16_Weights", __name__)
ViT_L_32_Weights = weights_enum("ViT_L_32_Weights", __name__)
ViT_H_14_Weights = weights_enum("ViT_H_14_Weights", __name__)


@register_model()
def vit_b_16(*, weights: ViT_B_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/16 (86.6M parameters at 224x224)."""
    return _vision_transformer(16, 12, 12, 768, 3072, ViT_B_16_Weights.verify(weights),
                               progress, **kwargs)


@register_model()
def vit_b_32(*, weights: ViT_B_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-B/32 (88.2M parameters)."""
    return _vision_transformer(32, 12, 12, 768, 3072, ViT_B_32_Weights.verify(weights),
                               progress, **kwargs)


@register_model()
def vit_l_16(*, weights: ViT_L_16_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/16 (304.3M parameters at 224x224)."""
    return _vision_transformer(16, 24, 16, 1024, 4096, ViT_L_16_Weights.verify(weights),
                               progress, **kwargs)


@register_model()
def vit_l_32(*, weights: ViT_L_32_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-L/32 (306.5M parameters)."""
    return _vision_transformer(32, 24, 16, 1024, 4096, ViT_L_32_Weights.verify(weights),
                               progress, **kwargs)


@register_model()
def vit_h_14(*, weights: ViT_H_14_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VisionTransformer:
    """ViT-H/14 (632M parameters at 224x224; 633.5M at 518x518, the SWAG checkpoints)."""
    return _vision_transformer(14, 32, 16, 1280, 5120, ViT_H_14_Weights.verify(weights),
                               progress, **kwargs)
