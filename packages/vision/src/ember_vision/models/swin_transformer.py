"""Swin Transformer T/S/B (https://arxiv.org/abs/2103.14030) and Swin V2 T/S/B
(https://arxiv.org/abs/2111.09883)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn
from ember.nn import functional as F

from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._catalog import weights_enum
from ._utils import _load_weights, _weights_kwargs

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]


def _patch_merging_pad(x: Tensor) -> Tensor:
    """(..., H, W, C) → (..., H/2, W/2, 4C): the four pixels of each 2x2 cell side by side."""
    h, w = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ember.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                      x[..., 1::2, 1::2, :]], -1)


class PatchMerging(nn.Module):
    """Halve the resolution, double the channels: LayerNorm(4C) then Linear(4C → 2C)."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """Swin V2's patch merging: Linear(4C → 2C) then LayerNorm(2C)."""

    def __init__(self, dim: int, norm_layer: Callable[..., nn.Module] = nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _to_windows(x: Tensor, window_size: list[int]) -> Tensor:
    """(B, H, W, C) → (B * windows, wh * ww, C)."""
    b, h, w, c = x.shape
    x = x.view(b, h // window_size[0], window_size[0], w // window_size[1], window_size[1], c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size[0] * window_size[1], c)


def _from_windows(x: Tensor, window_size: list[int], b: int, h: int, w: int) -> Tensor:
    """Inverse of :func:`_to_windows`."""
    c = x.shape[-1]
    x = x.view(b, h // window_size[0], w // window_size[1], window_size[0], window_size[1], c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)


def _shift_mask(pad_h: int, pad_w: int, window_size: list[int], shift_size: list[int],
                like: Tensor) -> Tensor:
    """(windows, N, N) additive mask: -100 between tokens that the cyclic shift brought from
    different image regions into one window, 0 elsewhere."""
    region = like.new_zeros((pad_h, pad_w))
    count = 0
    for h0, h1 in ((0, -window_size[0]), (-window_size[0], -shift_size[0]), (-shift_size[0], None)):
        for w0, w1 in ((0, -window_size[1]), (-window_size[1], -shift_size[1]),
                       (-shift_size[1], None)):
            region[h0:h1, w0:w1] = count
            count += 1
    region = _to_windows(region[None, :, :, None], window_size)[..., 0]  # (windows, N)
    diff = region.unsqueeze(1) - region.unsqueeze(2)
    return ember.where(diff != 0, ember.full_like(diff, -100.0), ember.zeros_like(diff))


def shifted_window_attention(input: Tensor, qkv_weight: Tensor, proj_weight: Tensor,
                             relative_position_bias: Tensor, window_size: list[int],
                             num_heads: int, shift_size: list[int],
                             attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias: Tensor | None = None,
                             proj_bias: Tensor | None = None,
                             logit_scale: Tensor | None = None,
                             training: bool = True) -> Tensor:
    """Multi-head self-attention inside (optionally cyclically shifted) windows, with a
    relative position bias; ``logit_scale`` switches to Swin V2's scaled cosine attention.

    Args:
        input (Tensor[B, H, W, C]): tokens.
        qkv_weight, proj_weight, qkv_bias, proj_bias: the two linear layers.
        relative_position_bias (Tensor[1, heads, N, N]): N = window area.
        window_size, shift_size (2 ints each).
        num_heads (int).
        attention_dropout, dropout (float), training (bool).
        logit_scale (Tensor[heads, 1, 1], optional).

    Returns:
        Tensor[B, H, W, C].
    """
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    # a window covering the whole (padded) image makes shifting pointless
    shift_size = [0 if window_size[0] >= pad_h else shift_size[0],
                  0 if window_size[1] >= pad_w else shift_size[1]]
    shifted = sum(shift_size) > 0
    if shifted:
        x = ember.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    num_windows = (pad_h // window_size[0]) * (pad_w // window_size[1])
    x = _to_windows(x, window_size)  # (B*nW, N, C)
    if logit_scale is not None and qkv_bias is not None:
        length = qkv_bias.numel() // 3  # Swin V2 has no key bias
        qkv_bias = ember.cat([qkv_bias[:length], ember.zeros_like(qkv_bias[length:2 * length]),
                              qkv_bias[2 * length:]])
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], x.shape[1], 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ember.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5).matmul(k.transpose(-2, -1))
    attn = attn + relative_position_bias
    if shifted:
        n = x.shape[1]
        mask = _shift_mask(pad_h, pad_w, window_size, shift_size, x)
        attn = attn.view(-1, num_windows, num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
        attn = attn.view(-1, num_heads, n, n)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = attn.matmul(v).transpose(1, 2).reshape(x.shape[0], x.shape[1], c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = _from_windows(x, window_size, b, pad_h, pad_w)
    if shifted:
        x = ember.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :].contiguous()


def _relative_position_index(window_size: list[int]) -> Tensor:
    """(N*N,) int64: for every pair of tokens of a window, the row of their relative offset in
    the ``(2*wh - 1) * (2*ww - 1)`` bias table."""
    coords = ember.stack(ember.meshgrid(ember.arange(window_size[0]), ember.arange(window_size[1]),
                                        indexing="ij")).flatten(1)         # (2, N)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)         # (N, N, 2)
    dy = rel[:, :, 0] + (window_size[0] - 1)
    dx = rel[:, :, 1] + (window_size[1] - 1)
    return (dy * (2 * window_size[1] - 1) + dx).flatten()


def _gather_bias(table: Tensor, index: Tensor, window_size: list[int]) -> Tensor:
    n = window_size[0] * window_size[1]
    bias = table[index].view(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned relative position bias table (see
    :func:`shifted_window_attention`)."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        rows = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(ember.zeros(rows, self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        self.register_buffer("relative_position_index", _relative_position_index(self.window_size))

    def get_relative_position_bias(self) -> Tensor:
        return _gather_bias(self.relative_position_bias_table, self.relative_position_index,
                            self.window_size)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: (B, H, W, C) → same shape."""
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias,
            logit_scale=getattr(self, "logit_scale", None), training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2: scaled cosine attention and a bias computed by a small MLP from log-spaced
    relative coordinates (``cpb_mlp``)."""

    def __init__(self, dim: int, window_size: list[int], shift_size: list[int], num_heads: int,
                 qkv_bias: bool = True, proj_bias: bool = True, attention_dropout: float = 0.0,
                 dropout: float = 0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ember.log(10 * ember.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            length = self.qkv.bias.numel() // 3
            with ember.no_grad():
                self.qkv.bias[length:2 * length].zero_()

    def define_relative_position_bias_table(self) -> None:
        wh, ww = self.window_size
        rh = ember.arange(-(wh - 1), wh, dtype=ember.float32) / (wh - 1)
        rw = ember.arange(-(ww - 1), ww, dtype=ember.float32) / (ww - 1)
        table = ember.stack(ember.meshgrid(rh, rw, indexing="ij")).permute(1, 2, 0).unsqueeze(0)
        table = table * 8  # normalized to [-8, 8], then log-spaced
        table = ember.sign(table) * ember.log2(ember.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table.contiguous())

    def get_relative_position_bias(self) -> Tensor:
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
        return 16 * ember.sigmoid(_gather_bias(table, self.relative_position_index,
                                               self.window_size))


class SwinTransformerBlock(nn.Module):
    """Pre-norm block: x + attn(LN(x)), then + MLP(LN(·)), both through stochastic depth."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """Swin V2 block: post-norm residuals, x + LN(attn(x)), then + LN(MLP(·))."""

    def __init__(self, dim: int, num_heads: int, window_size: list[int], shift_size: list[int],
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0,
                 norm_layer: Callable[..., nn.Module] = nn.LayerNorm,
                 attn_layer: Callable[..., nn.Module] = ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Swin Transformer.

    Args:
        patch_size (2 ints): patch embedding stride.
        embed_dim (int): width of the first stage (doubled by each patch merging).
        depths (list of int), num_heads (list of int): blocks and heads per stage.
        window_size (2 ints): attention window.
        mlp_ratio (float): Default: 4.0.
        dropout, attention_dropout (float): Default: 0.0.
        stochastic_depth_prob (float): Default: 0.1.
        num_classes (int): Default: 1000.
        norm_layer, block, downsample_layer (callables, optional): Defaults: LayerNorm(eps=1e-5),
            :class:`SwinTransformerBlock`, :class:`PatchMerging`.

    Shape:
        - Input: ``(N, 3, H, W)``; Output: ``(N, num_classes)``.
    """

    def __init__(self, patch_size: list[int], embed_dim: int, depths: list[int],
                 num_heads: list[int], window_size: list[int], mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000,
                 norm_layer: Callable[..., nn.Module] | None = None,
                 block: Callable[..., nn.Module] | None = None,
                 downsample_layer: Callable[..., nn.Module] = PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-5)
        layers: list[nn.Module] = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=tuple(patch_size), stride=tuple(patch_size)),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total_blocks = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage = []
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total_blocks - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else s // 2
                                               for s in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # B H W C -> B C H W
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


def _swin_transformer(embed_dim: int, depths: list[int], num_heads: list[int],
                      window: int, sd_prob: float, v2: bool, weights, progress: bool,
                      **kwargs: Any) -> SwinTransformer:
    _weights_kwargs(weights, kwargs)
    if v2:
        kwargs.setdefault("block", SwinTransformerBlockV2)
        kwargs.setdefault("downsample_layer", PatchMergingV2)
    model = SwinTransformer(patch_size=[4, 4], embed_dim=embed_dim, depths=depths,
                            num_heads=num_heads, window_size=[window, window],
                            stochastic_depth_prob=kwargs.pop("stochastic_depth_prob", sd_prob),
                            **kwargs)
    return _load_weights(model, weights, progress)


Swin_T_Weights = weights_enum("Swin_T_Weights", __name__)
Swin_S_Weights = weights_enum("Swin_S_Weights", __name__)
Swin_B_Weights = weights_enum("Swin_B_Weights", __name__)
Swin_V2_T_Weights = weights_enum("Swin_V2_T_Weights", __name__)
Swin_V2_S_Weights = weights_enum("Swin_V2_S_Weights", __name__)
Swin_V2_B_Weights = weights_enum("Swin_V2_B_Weights", __name__)


@register_model()
def swin_t(*, weights: Swin_T_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-T (28.3M parameters)."""
    return _swin_transformer(96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 0.2, False,
                             Swin_T_Weights.verify(weights), progress, **kwargs)


@register_model()
def swin_s(*, weights: Swin_S_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-S (49.6M parameters)."""
    return _swin_transformer(96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 0.3, False,
                             Swin_S_Weights.verify(weights), progress, **kwargs)


@register_model()
def swin_b(*, weights: Swin_B_Weights | None = None, progress: bool = True,
           **kwargs: Any) -> SwinTransformer:
    """Swin-B (87.8M parameters)."""
    return _swin_transformer(128, [2, 2, 18, 2], [4, 8, 16, 32], 7, 0.5, False,
                             Swin_B_Weights.verify(weights), progress, **kwargs)


@register_model()
def swin_v2_t(*, weights: Swin_V2_T_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-T (28.4M parameters)."""
    return _swin_transformer(96, [2, 2, 6, 2], [3, 6, 12, 24], 8, 0.2, True,
                             Swin_V2_T_Weights.verify(weights), progress, **kwargs)


@register_model()
def swin_v2_s(*, weights: Swin_V2_S_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-S (49.7M parameters)."""
    return _swin_transformer(96, [2, 2, 18, 2], [3, 6, 12, 24], 8, 0.3, True,
                             Swin_V2_S_Weights.verify(weights), progress, **kwargs)


@register_model()
def swin_v2_b(*, weights: Swin_V2_B_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> SwinTransformer:
    """Swin-V2-B (87.9M parameters)."""
    return _swin_transformer(128, [2, 2, 18, 2], [4, 8, 16, 32], 8, 0.5, True,
                             Swin_V2_B_Weights.verify(weights), progress, **kwargs)
