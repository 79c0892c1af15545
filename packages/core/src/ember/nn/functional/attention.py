"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

``scaled_dot_product_attention`` is declared by its decomposition (ember ops: matmul, masked
softmax, matmul), which runs on every backend. A backend may register a fused kernel
``scaled_dot_product_attention(q, k, v, mask, drop, *, scale, is_causal) -> (out, probs)`` (the
CPU backend does, in ``ember/backends/cpu_attention.py``); the attention probabilities it
returns are saved for the backward, which is written in ember ops (so it runs everywhere and can
be differentiated again); a backend may also fuse that backward
(``scaled_dot_product_attention_backward``), used when no double backward is being recorded.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor, wrap
from ...amp import state as _amp
from ...autograd.grad_mode import state
from ...ops._dispatch import check_same_device, needs_grad, record
from ...ops.elementwise import sum_to, where
from .dropout import dropout
from .linear import linear

_NAME = "scaled_dot_product_attention"


# ---- scaled_dot_product_attention -------------------------------------------------------------

def _causal_keep(q: Tensor, L: int, S: int) -> Tensor:
    """PyTorch's causal mask, top-left aligned (``ones(L, S).tril()``): True where allowed."""
    from ...ops.creation import arange

    rows = arange(L, device=q.device).reshape(L, 1)
    return rows >= arange(S, device=q.device)


def _probs(q: Tensor, k: Tensor, mask, scale: float, is_causal: bool) -> Tensor:
    """softmax(q kᵀ · scale + mask) in ember ops. A row with every key masked gives zeros
    (PyTorch's "safe softmax" of the math path), not NaN."""
    s = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        s = s.masked_fill(mask.logical_not(), -math.inf) if mask.dtype.name == "bool" \
            else s + mask
    if is_causal:
        s = s.masked_fill(_causal_keep(q, s.shape[-2], s.shape[-1]).logical_not(), -math.inf)
    m = s.detach().amax(-1, keepdim=True)
    e = (s - where(m.isfinite(), m, 0.0)).exp()
    d = e.sum(-1, keepdim=True)
    return e / where(d == 0, 1.0, d)


def _attention_decomposition(q, k, v, mask=None, drop=None, *, scale: float,
                             is_causal: bool = False) -> Tensor:
    """The math path: ``(softmax(q kᵀ·scale + mask) * drop) @ v``; ``drop`` is the dropout
    mask already scaled by 1/(1-p)."""
    p = _probs(q, k, mask, scale, is_causal)
    if drop is not None:
        p = p * drop
    return p @ v


def _attention_backward(node, g):
    q, k, v, mask, drop, p = node.saved_tensors()
    scale, is_causal = node.ctx
    if state.grad_enabled:  # create_graph: the probabilities as a function of q, k (and mask)
        p = _probs(q, k, mask, scale, is_causal)
    nf = node.next_functions
    fast = None if state.grad_enabled or len(nf) == 4 else \
        q._be.kernels.get(_NAME + "_backward")
    if fast is not None:  # fused on the backend (no double backward needed through it)
        grads = fast(g._data, q._data, k._data, v._data, p._data,
                     None if drop is None else drop._data, scale=scale)
        return tuple(None if f is None else sum_to(wrap(a, g), t.shape)
                     for a, f, t in zip(grads, nf, (q, k, v)))
    pd = p if drop is None else p * drop
    gv = sum_to(pd.transpose(-2, -1) @ g, v.shape) if nf[2] is not None else None
    if nf[0] is None and nf[1] is None and (len(nf) < 4 or nf[3] is None):
        return None, None, gv
    gp = g @ v.transpose(-2, -1)
    if drop is not None:
        gp = gp * drop
    gs = p * (gp - (gp * p).sum(-1, keepdim=True))  # through the softmax
    gq = sum_to((gs @ k) * scale, q.shape) if nf[0] is not None else None
    gk = sum_to((gs.transpose(-2, -1) @ q) * scale, k.shape) if nf[1] is not None else None
    if len(nf) == 4:  # a floating-point mask that requires grad: it was added to the scores
        return gq, gk, gv, (sum_to(gs, mask.shape) if nf[3] is not None else None)
    return gq, gk, gv


def _attention(q, k, v, mask, drop, scale: float, is_causal: bool) -> Tensor:
    """Run the backend's fused kernel when it has one, else the decomposition."""
    fast = q._be.kernels.get(_NAME)
    if fast is None:
        return _attention_decomposition(q, k, v, mask, drop, scale=scale, is_causal=is_causal)
    for t in (k, v, mask, drop):
        if t is not None:
            check_same_device(q, t, _NAME)
    out, probs = fast(q._data, k._data, v._data, None if mask is None else mask._data,
                      None if drop is None else drop._data, scale=scale, is_causal=is_causal)
    out = wrap(out, q)
    float_mask = mask is not None and mask.dtype.name != "bool"
    inputs = (q, k, v, mask) if float_mask else (q, k, v)
    if needs_grad(*inputs):
        record(out, _attention_backward, "ScaledDotProductAttentionBackward0", inputs,
               (q, k, v, mask, drop, wrap(probs, q)), (scale, is_causal))
    return out


def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, "
                            f"not {type(t).__name__}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype} key.dtype: {key.dtype} and value.dtype: "
                           f"{value.dtype} instead.")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point inputs, got "
                           f"{query.dtype}")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must have at "
                           "least 2 dimensions")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: the last dimension of query "
                           f"({query.shape[-1]}) and key ({key.shape[-1]}) must match")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key ({key.shape[-2]}) and value "
                           f"({value.shape[-2]}) must have the same sequence length")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_kv(query: Tensor, key: Tensor, value: Tensor):
    """``enable_gqa``: each key/value head serves ``Hq / Hkv`` query heads."""
    hq, hk = query.shape[-3], key.shape[-3]
    if hq == hk:
        return key, value
    if hk == 0 or hq % hk or value.shape[-3] != hk:
        raise RuntimeError(f"scaled_dot_product_attention: number of heads in key/value "
                           f"({hk}) must divide the number of heads in query ({hq})")
    return key.repeat_interleave(hq // hk, -3), value.repeat_interleave(hq // hk, -3)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False) -> Tensor:
    """``softmax(query @ keyᵀ * scale + mask) @ value``, with optional dropout on the weights.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``: bool (True = takes part in attention) or
            float (added to the scores).
        dropout_p: dropout probability applied to the attention weights.
        is_causal: apply PyTorch's top-left aligned causal mask (``ones(L, S).tril()``).
        scale: defaults to ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention (``key``/``value`` with fewer heads in dim -3).

    Shape: the output is ``(..., L, Ev)``. A query row that may attend to no key gets zeros.
    """
    if _amp.state.active:  # attention is on autocast's lower-precision list
        query, key, value = _amp.lower(query, key, value)
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa and query.ndim >= 3:
        key, value = _repeat_kv(query, key, value)
    sc = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    mask = attn_mask
    if mask is not None:
        if not isinstance(mask, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument 'attn_mask' must be "
                            f"Tensor, not {type(mask).__name__}")
        if mask.dtype.name != "bool" and mask.dtype != query.dtype:
            mask = mask.to(query.dtype)
    drop = None
    if dropout_p > 0.0:
        from ...ops.shape import broadcast_shapes
        from .dropout import _keep_mask

        shape = broadcast_shapes(query.shape[:-1], key.shape[:-2] + (1,))
        shape = shape + (key.shape[-2],)
        # one host pass: kept entries are 1/(1-p), dropped ones 0 (like F.dropout's mask)
        drop = _keep_mask(query, dropout_p, shape, 1.0 / (1.0 - dropout_p)) \
            if dropout_p < 1.0 else _keep_mask(query, 1.0, shape, 0.0)
    return _attention(query, key, value, mask, drop, sc, bool(is_causal))


scaled_dot_product_attention.op_name = _NAME
scaled_dot_product_attention.decomposition = _attention_decomposition


# ---- multi_head_attention_forward -------------------------------------------------------------

def _canonical_mask(mask, name: str, target_dtype):
    """Bool masks (True = masked out) become float masks (-inf / 0), like PyTorch's MHA."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        from ...ops.creation import zeros

        return zeros(mask.shape, dtype=target_dtype, device=mask.device).masked_fill(
            mask, -math.inf)
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask.to(target_dtype)


def _mha_checks(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's ``_mha_shape_check``: returns whether the input is batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to "
                                 f"be `None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            if attn_mask.ndim == 3:
                want = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != want:
                    raise AssertionError(f"Expected `attn_mask` shape to be {want} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _heads(x: Tensor, batch_first: bool, n: int, heads: int) -> Tensor:
    """``(S, N, H·D)`` (or ``(N, S, H·D)``) → the view ``(N, H, S, D)``."""
    if batch_first:
        return x.reshape(n, x.shape[1], heads, -1).transpose(1, 2)
    return x.reshape(x.shape[0], n, heads, -1).permute(1, 2, 0, 3)


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, use_separate, q_w, k_w,
                   v_w, e: int):
    """q, k, v projections. The packed weight is sliced rather than one projection of all three
    (the slices' backward then touches the small weight, not three activation-sized buffers)."""
    if use_separate:
        ws = (q_w, k_w, v_w)
    else:
        ws = (in_proj_weight[:e], in_proj_weight[e:2 * e], in_proj_weight[2 * e:])
    bs = (None, None, None) if in_proj_bias is None else \
        (in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:])
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), ws, bs))


def _mha(query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
         add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
         need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
         v_proj_weight, static_k, static_v, average_attn_weights, is_causal, batch_first):
    """Batched multi-head attention on ``(L, N, E)`` inputs, or ``(N, L, E)`` when
    ``batch_first`` (which avoids transposing the activations)."""
    from ...ops.creation import zeros
    from ...ops.joining import cat, pad

    if batch_first:
        bsz, tgt_len, embed_dim = query.shape
        src_len = key.shape[1]
    else:
        tgt_len, bsz, embed_dim = query.shape
        src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal hint replaces the mask (SDPA applies it)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight and (q_proj_weight is None or k_proj_weight is None
                                     or v_proj_weight is None):
        raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                             "k_proj_weight or v_proj_weight is None")
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight,
                             v_proj_weight, embed_dim)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                               f"should be {(bsz * num_heads, tgt_len, src_len)}.")
    seq_dim = 1 if batch_first else 0
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        bk, bv = bias_k.reshape(1, 1, embed_dim), bias_v.reshape(1, 1, embed_dim)
        ks = (bsz, 1, embed_dim) if batch_first else (1, bsz, embed_dim)
        k = cat([k, bk.expand(ks)], seq_dim)
        v = cat([v, bv.expand(ks)], seq_dim)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None \
            else None
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")
    q = _heads(q, batch_first, bsz, num_heads)
    k = _heads(k, batch_first, bsz, num_heads) if static_k is None else \
        _static(static_k, bsz, num_heads, head_dim, "k")
    v = _heads(v, batch_first, bsz, num_heads) if static_v is None else \
        _static(static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        z = zeros((bsz, num_heads, 1, head_dim), dtype=q.dtype, device=q.device)
        k, v = cat([k, z], 2), cat([v, z], 2)
        attn_mask = pad(attn_mask, (0, 1)) if attn_mask is not None else None
        key_padding_mask = pad(key_padding_mask, (0, 1)) if key_padding_mask is not None \
            else None
    src_len = k.shape[2]
    if attn_mask is not None:  # (1 or N·H, L, S) → broadcastable to (N, H, L, S)
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else \
            attn_mask.reshape(bsz, num_heads, tgt_len, src_len)
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        weights = _probs(q, k, attn_mask, 1.0 / math.sqrt(head_dim), False)
        if dropout_p > 0.0:
            out = dropout(weights, p=dropout_p) @ v
        else:
            out = weights @ v
    else:
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        weights = None
    # (N, H, L, D) → (N, L, E) or (L, N, E), one copy, then the output projection
    out = out.transpose(1, 2) if batch_first else out.permute(2, 0, 1, 3)
    out = linear(out.reshape(out.shape[0], out.shape[1], embed_dim), out_proj_weight,
                  out_proj_bias)
    if weights is not None and average_attn_weights:
        weights = weights.mean(1)
    return out, weights


def _static(t: Tensor, bsz: int, heads: int, head_dim: int, which: str) -> Tensor:
    if t.shape[0] != bsz * heads or t.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{which}.size(0) of {bsz * heads} and "
                             f"static_{which}.size(2) of {head_dim}, but got "
                             f"{tuple(t.shape)}")
    return t.reshape(bsz, heads, t.shape[1], head_dim)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """PyTorch's functional multi-head attention on sequence-first inputs.

    Shape:
        query ``(L, N, E)``, key ``(S, N, Ek)``, value ``(S, N, Ev)`` (or unbatched without
        ``N``); key_padding_mask ``(N, S)`` (True / -inf = ignore); attn_mask ``(L, S)`` or
        ``(N·num_heads, L, S)`` (True / -inf = not allowed).
        Returns ``(L, N, E)`` and the weights ``(N, L, S)`` (averaged over heads) or
        ``(N, num_heads, L, S)``, or None when ``need_weights`` is False.
    """
    return _mha_entry(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                      in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight,
                      out_proj_bias, training, key_padding_mask, need_weights, attn_mask,
                      use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                      static_k, static_v, average_attn_weights, is_causal, batch_first=False)


def _mha_entry(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
               bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
               training, key_padding_mask, need_weights, attn_mask, use_separate_proj_weight,
               q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
               average_attn_weights, is_causal, batch_first):
    batched = _mha_checks(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:  # one sequence: a batch of one (dim 1 sequence-first, dim 0 batch-first)
        bdim = 0 if batch_first else 1
        query, key, value = query.unsqueeze(bdim), key.unsqueeze(bdim), value.unsqueeze(bdim)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    e = query.shape[-1]
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {e}")
    out, weights = _mha(query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k,
                        bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                        training, key_padding_mask, need_weights, attn_mask,
                        use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
                        static_k, static_v, average_attn_weights, is_causal, batch_first)
    if not batched:
        out = out.squeeze(0 if batch_first else 1)
        weights = weights.squeeze(0) if weights is not None else None
    return out, weights


__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]
