"""``MultiheadAttention`` with PyTorch's parameters, ``state_dict`` keys and call signature."""

from __future__ import annotations

import math

from ...ops.creation import empty
from ..functional.attention import _mha_entry
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's class name for ``MultiheadAttention.out_proj``: a plain ``Linear``."""


def _xavier_uniform_(t, fan_in: int, fan_out: int) -> None:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    t.detach().uniform_(-bound, bound)


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size ``embed_dim // num_heads``.

    Args:
        embed_dim: the model dimension E (of the query and of the output).
        num_heads: the number of parallel heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention weights (in training mode).
        bias: add biases to the input and output projections.
        add_bias_kv: learn ``bias_k``/``bias_v``, appended to the key/value sequences.
        add_zero_attn: append a zero key/value to each sequence.
        kdim, vdim: the key/value feature sizes (default ``embed_dim``); when they differ
            from ``embed_dim``, ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` replace
            the packed ``in_proj_weight``.
        batch_first: inputs and outputs are ``(N, L, E)`` instead of ``(L, N, E)``.

    Shape:
        query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N, vdim)`` (batch first or
        unbatched ``(L, E)`` too). Returns ``(attn_output, attn_weights)``; the weights are
        ``(N, L, S)`` averaged over heads, ``(N, num_heads, L, S)`` otherwise, or None when
        ``need_weights=False``.

    Examples::

        >>> mha = nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = ember.randn(3, 5, 8)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (ember.Size([3, 5, 8]), ember.Size([3, 5, 5]))
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's init: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            _xavier_uniform_(self.in_proj_weight, e, 3 * e)
        else:
            _xavier_uniform_(self.q_proj_weight, e, e)
            _xavier_uniform_(self.k_proj_weight, self.kdim, e)
            _xavier_uniform_(self.v_proj_weight, self.vdim, e)
        if self.in_proj_bias is not None:
            self.in_proj_bias.detach().zero_()
            self.out_proj.bias.detach().zero_()
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                b.detach().normal_(0.0, math.sqrt(2.0 / (2 * e)))

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        """Args as PyTorch's: ``key_padding_mask`` ``(N, S)`` and ``attn_mask`` ``(L, S)`` or
        ``(N·num_heads, L, S)`` are bool (True = ignore) or float (added to the scores)."""
        return _mha_entry(query, key, value, self.embed_dim, self.num_heads,
                          self.in_proj_weight, self.in_proj_bias, self.bias_k, self.bias_v,
                          self.add_zero_attn, self.dropout, self.out_proj.weight,
                          self.out_proj.bias, self.training, key_padding_mask, need_weights,
                          attn_mask, not self._qkv_same_embed_dim, self.q_proj_weight,
                          self.k_proj_weight, self.v_proj_weight, None, None,
                          average_attn_weights, is_causal, self.batch_first and query.ndim == 3)
