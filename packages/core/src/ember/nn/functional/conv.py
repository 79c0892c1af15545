"""Convolutions (``F.conv1d/2d/3d``, ``F.conv_transpose1d/2d/3d``) and ``F.unfold``/``F.fold``.

Everything rests on three composite ops over a batched ``(N, C, *spatial)`` input:

- ``convolution(x, w, b)``: cross-correlation (what PyTorch calls convolution), explicit
  ``(before, after)`` pads per spatial dim (so ``padding='same'`` with an even kernel works);
- ``convolution_backward_input(g, w)``: its adjoint in ``x`` — the transposed convolution;
- ``convolution_backward_weight(x, g)``: its adjoint in ``w`` — the correlation of x and g.

Each one's derivatives are the other two (the three bilinear maps are adjoints of one another),
so gradients of any order stay in these ops and run through the backend's fast paths (the CPU's
are im2col + one GEMM, ``backends/cpu_conv.py``). The decompositions, used on backends without
those kernels, build the im2col matrix as an ``as_strided`` view and do one matmul per call;
col2im is one ``index_add``.
"""

from __future__ import annotations

import math

import numpy as np

from ..._dtype import float32 as _float32
from ..._dtype import float64 as _float64
from ..._tensor import Tensor, wrap
from ...amp import state as _amp
from ...ops._dispatch import check_same_device, composite, needs_grad, node_name, record
from ...ops.joining import pad as _pad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "unfold", "fold"]


def _out_size(n, lo, hi, k, s, d) -> int:
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _flat_pad(pads) -> list:
    """(lo, hi) pairs per spatial dim, first dim first → ``F.pad``'s last-dim-first list."""
    return [p for lo, hi in reversed(pads) for p in (lo, hi)]


def _padded(x: Tensor, pads) -> Tensor:
    return _pad(x, _flat_pad(pads)) if any(lo or hi for lo, hi in pads) else x


def _im2col(x: Tensor, k, stride, pads, dilation, groups: int) -> Tensor:
    """(N, G, Cg·K, L) columns of ``x`` (N, C, *s): a strided view of the padded input, copied
    once by the reshape."""
    xp = _padded(x, pads).contiguous()
    n, c = xp.shape[:2]
    o = tuple(_out_size(sz, lo, hi, kk, s, d) for sz, (lo, hi), kk, s, d in
              zip(x.shape[2:], pads, k, stride, dilation))
    st = xp.stride()
    cg = c // groups
    win = xp.as_strided((n, groups, cg, *k, *o),
                        (st[0], st[1] * cg, st[1], *(d * s for d, s in zip(dilation, st[2:])),
                         *(s * t for s, t in zip(stride, st[2:]))), xp.storage_offset())
    return win.reshape(n, groups, cg * math.prod(k), math.prod(o))


def _col2im(cols: Tensor, size, k, o, stride, lo, dilation) -> Tensor:
    """Sum columns (N, C, K·L) into (N, C, *size): the windows (taps ``k``, positions ``o``)
    started at ``-lo`` in the output. One ``index_add`` over a buffer covering both."""
    from ...ops.creation import tensor, zeros

    full = [(oo - 1) * s + d * (kk - 1) + 1 for oo, s, d, kk in zip(o, stride, dilation, k)]
    start = [min(0, -p) for p in lo]
    span = [max(f, n - p) - s0 for f, n, p, s0 in zip(full, size, lo, start)]
    # flat buffer position of every (tap, window position) pair: host constants
    idx = np.zeros((1,) * (2 * len(k)), np.int64)
    for i, (kk, oo) in enumerate(zip(k, o)):
        tap = np.arange(kk) * dilation[i]
        pos = np.arange(oo) * stride[i] - start[i]
        shape_t = [1] * (2 * len(k))
        shape_t[i] = kk
        shape_p = [1] * (2 * len(k))
        shape_p[len(k) + i] = oo
        idx = idx * span[i] + tap.reshape(shape_t) + pos.reshape(shape_p)
    n, c = cols.shape[:2]
    buf = zeros((n, c, math.prod(span)), dtype=cols.dtype, device=cols.device)
    buf = buf.index_add(2, tensor(idx.reshape(-1), device=cols.device), cols)
    out = buf.reshape(n, c, *span)
    for i, (p, s0, sz) in enumerate(zip(lo, start, size)):
        out = out.narrow(2 + i, p - s0, sz)
    return out


# ---- the three composites ---------------------------------------------------------------------

def _conv_backward(node, g):
    saved = node.saved_tensors()
    x, w = saved[0], saved[1]
    kw = node.ctx
    nf = node.next_functions
    gx = gw = gb = None
    if nf[0] is not None:
        gx = convolution_backward_input(g, w, input_size=tuple(x.shape[2:]),
                                        stride=kw["stride"],
                                        padding=tuple(lo for lo, _ in kw["padding"]),
                                        dilation=kw["dilation"], groups=kw["groups"])
    if nf[1] is not None:
        if len(saved) > len(nf) and not needs_grad(x, g):
            # the forward's columns (CPU kernel only); a double backward takes the op instead
            gw = wrap(x._be.kernels["convolution_backward_weight"](
                x._data, g._data, weight_size=tuple(w.shape), cols=saved[-1]._data, **kw), x)
        else:
            gw = convolution_backward_weight(x, g, weight_size=tuple(w.shape), **kw)
    if len(nf) == 3:
        if nf[2] is not None:
            gb = g.sum((0, *range(2, g.ndim)))
        return gx, gw, gb
    return gx, gw


@composite("convolution", backward=_conv_backward)
def _convolution(x, w, b, *, stride, padding, dilation, groups) -> Tensor:
    """Cross-correlation of ``x`` (N, C, *s) with ``w`` (Cout, C/groups, *k) plus ``b``;
    ``padding``: ``(before, after)`` per spatial dim (negative crops)."""
    k = tuple(w.shape[2:])
    cols = _im2col(x, k, stride, padding, dilation, groups)
    n = x.shape[0]
    cout = w.shape[0]
    y = w.reshape(groups, cout // groups, -1).matmul(cols)  # (N, G, Cout/G, L)
    o = tuple(_out_size(sz, lo, hi, kk, s, d) for sz, (lo, hi), kk, s, d in
              zip(x.shape[2:], padding, k, stride, dilation))
    y = y.reshape(n, cout, *o)
    if b is not None:
        y = y + b.reshape((cout,) + (1,) * len(k))
    return y


def convolution(x, w, b, *, stride, padding, dilation, groups) -> Tensor:
    """Cross-correlation of ``x`` (N, C, *s) with ``w`` (Cout, C/groups, *k) plus ``b``;
    ``padding``: ``(before, after)`` per spatial dim (negative crops).

    When the weight needs a gradient and the backend has a ``convolution_keep_columns``
    kernel (the CPU's; not a primitive), the forward keeps its im2col columns (saved with the
    node, freed with it) so that the weight gradient doesn't rebuild them."""
    keep = x._be.kernels.get("convolution_keep_columns") if isinstance(x, Tensor) else None
    if (keep is None or not isinstance(w, Tensor) or not needs_grad(w)
            or x.dtype not in (_float32, _float64)):
        return _convolution(x, w, b, stride=stride, padding=padding, dilation=dilation,
                            groups=groups)
    tensors = (x, w) if b is None else (x, w, b)
    for t in tensors[1:]:
        check_same_device(x, t, "convolution")
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y, cols = keep(x._data, w._data, None if b is None else b._data, **kw)
    saved = tensors if cols is None else tensors + (wrap(cols, x),)
    return record(wrap(y, x), _conv_backward, node_name("convolution"), tensors, saved, kw)


convolution.decomposition = _convolution.decomposition
convolution.op_name = _convolution.op_name


def _pairs_for(n_in, o, lo, k, stride, dilation):
    """(lo, hi) pads that make a convolution of size ``n_in`` give exactly ``o`` outputs."""
    return tuple((p, (oo - 1) * s + d * (kk - 1) + 1 - n - p)
                 for n, oo, p, kk, s, d in zip(n_in, o, lo, k, stride, dilation))


def _bwd_input_backward(node, z):
    g, w = node.saved_tensors()
    kw = node.ctx
    k = tuple(w.shape[2:])
    pads = _pairs_for(tuple(z.shape[2:]), tuple(g.shape[2:]), kw["padding"], k, kw["stride"],
                      kw["dilation"])
    common = dict(stride=kw["stride"], padding=pads, dilation=kw["dilation"],
                  groups=kw["groups"])
    nf = node.next_functions
    gg = convolution(z, w, None, **common) if nf[0] is not None else None
    gw = convolution_backward_weight(z, g, weight_size=tuple(w.shape), **common) \
        if nf[1] is not None else None
    return gg, gw


@composite("convolution_backward_input", backward=_bwd_input_backward)
def convolution_backward_input(g, w, *, input_size, stride, padding, dilation, groups) -> Tensor:
    """The transposed convolution: ``g`` (N, Cout, *o) → (N, C, *input_size), the adjoint of
    ``convolution`` in its input; ``padding``: the forward's ``before`` pads."""
    n, cout = g.shape[:2]
    k = tuple(w.shape[2:])
    cg = w.shape[1]
    o = tuple(g.shape[2:])
    wm = w.reshape(groups, cout // groups, -1).transpose(1, 2)  # (G, Cg·K, Cout/G)
    cols = wm.matmul(g.reshape(n, groups, cout // groups, -1))  # (N, G, Cg·K, L)
    cols = cols.reshape(n, groups * cg, -1)
    return _col2im(cols, tuple(input_size), k, o, stride, padding, dilation)


def _bwd_weight_backward(node, z):
    x, g = node.saved_tensors()
    kw = node.ctx
    nf = node.next_functions
    gx = convolution_backward_input(g, z, input_size=tuple(x.shape[2:]), stride=kw["stride"],
                                    padding=tuple(lo for lo, _ in kw["padding"]),
                                    dilation=kw["dilation"], groups=kw["groups"]) \
        if nf[0] is not None else None
    gg = convolution(x, z, None, stride=kw["stride"], padding=kw["padding"],
                     dilation=kw["dilation"], groups=kw["groups"]) if nf[1] is not None else None
    return gx, gg


@composite("convolution_backward_weight", backward=_bwd_weight_backward)
def convolution_backward_weight(x, g, *, weight_size, stride, padding, dilation,
                                groups) -> Tensor:
    """The adjoint of ``convolution`` in its weight: Σ over batch and positions of
    ``g ⊗ windows(x)``, shaped ``weight_size``."""
    k = tuple(weight_size[2:])
    cols = _im2col(x, k, stride, padding, dilation, groups)  # (N, G, Cg·K, L)
    n, cout = g.shape[:2]
    gm = g.reshape(n, groups, cout // groups, -1)
    return gm.matmul(cols.transpose(-1, -2)).sum(0).reshape(weight_size)


# ---- argument handling ------------------------------------------------------------------------

def _tuple(v, n: int, name: str) -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}")
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _batched(input: Tensor, nd: int, name: str):
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    if input.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    return input, False


def _check_types(input: Tensor, weight: Tensor, bias) -> None:
    if not isinstance(weight, Tensor):
        raise TypeError(f"conv(): argument 'weight' must be Tensor, not {type(weight).__name__}")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and weight type ({weight.dtype}) should "
                           "be the same")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({input.dtype}) and bias type ({bias.dtype}) should be "
                           "the same")
    if not input.dtype.is_floating_point and not input.dtype.is_complex:
        raise RuntimeError(f'"conv" not implemented for \'{input.dtype}\'')


def _conv_pads(padding, k, dilation, stride, nd: int):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        if any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        # PyTorch puts the odd extra on the after side
        return tuple((d * (kk - 1) // 2, d * (kk - 1) - d * (kk - 1) // 2)
                     for kk, d in zip(k, dilation))
    p = _tuple(padding, nd, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def _conv(nd: int, name: str, input, weight, bias, stride, padding, dilation, groups):
    if _amp.state.active:  # convolutions are on autocast's lower-precision list
        input, weight, bias = _amp.lower(input, weight, bias)
    _check_types(input, weight, bias)
    x, unbatched = _batched(input, nd, name)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input {list(x.shape)}, but got {weight.ndim}-dimensional weight of "
                           f"size {list(weight.shape)} instead")
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    k = tuple(weight.shape[2:])
    cout = weight.shape[0]
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {x.shape[1]} channels instead")
    if cout % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {cout} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    pads = _conv_pads(padding, k, dilation, stride, nd)
    padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
    eff = [d * (kk - 1) + 1 for kk, d in zip(k, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    y = convolution(x, weight, bias, stride=stride, padding=pads, dilation=dilation,
                    groups=groups)
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-d convolution (cross-correlation) over ``input`` (N, C, L) or (C, L).

    Args:
        weight: (out_channels, in_channels / groups, kL); bias: (out_channels,) or None.
        padding: int, tuple, ``'valid'`` or ``'same'`` (stride 1; odd extra on the right).
    """
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-d convolution (cross-correlation) over ``input`` (N, C, H, W) or (C, H, W).

    Args:
        weight: (out_channels, in_channels / groups, kH, kW); bias: (out_channels,) or None.
        stride, dilation: int or pair; padding: int, pair, ``'valid'`` or ``'same'``.
        groups: split the channels into this many independent convolutions.

    Shape: output (N, out_channels, H_out, W_out), H_out = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1.
    """
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """3-d convolution (cross-correlation) over ``input`` (N, C, D, H, W) or (C, D, H, W)."""
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(nd, name, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    if _amp.state.active:
        input, weight, bias = _amp.lower(input, weight, bias)
    _check_types(input, weight, bias)
    x, unbatched = _batched(input, nd, name)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        raise RuntimeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    pad = _tuple(padding, nd, "padding")
    out_pad = _tuple(output_padding, nd, "output_padding")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input {list(x.shape)}, but got {weight.ndim}-dimensional weight of "
                           f"size {list(weight.shape)} instead")
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[0]} channels, but got "
                           f"{x.shape[1]} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {list(weight.shape)} instead")
    for op, s, d in zip(out_pad, stride, dilation):
        if op >= s and op >= d:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding_height: {out_pad[0]} output_padding_"
                               f"width: {out_pad[-1]} stride_height: {stride[0]} stride_width: "
                               f"{stride[-1]} dilation_height: {dilation[0]} dilation_width: "
                               f"{dilation[-1]}")
    k = tuple(weight.shape[2:])
    size = tuple((n - 1) * s - 2 * p + d * (kk - 1) + op + 1 for n, s, p, d, kk, op in
                 zip(x.shape[2:], stride, pad, dilation, k, out_pad))
    if any(v <= 0 for v in size):
        raise RuntimeError(f"Given input size per channel: {list(x.shape[2:])}. Calculated "
                           f"output size per channel: {list(size)}. Output size is too small")
    cout = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {cout} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    y = convolution_backward_input(x, weight, input_size=size, stride=stride, padding=pad,
                                   dilation=dilation, groups=groups)
    if bias is not None:
        y = y + bias.reshape((cout,) + (1,) * nd)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """1-d transposed convolution; ``weight``: (in_channels, out_channels / groups, kL)."""
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """2-d transposed convolution (the gradient of conv2d in its input).

    Args:
        weight: (in_channels, out_channels / groups, kH, kW).
        output_padding: extra size added to one side of the output (< stride or dilation).

    Shape: H_out = (H − 1)·s − 2p + d(k − 1) + output_padding + 1.
    """
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """3-d transposed convolution; ``weight``: (in_channels, out_channels / groups, kD, kH, kW)."""
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


# ---- unfold / fold ------------------------------------------------------------------------------

def _im2col_backward(node, g):
    (x,) = node.saved_tensors()
    kw = node.ctx
    return (col2im(g, output_size=tuple(x.shape[2:]), **kw),)


@composite("im2col", backward=_im2col_backward)
def im2col(x, *, kernel_size, dilation, padding, stride) -> Tensor:
    """(N, C, *s) → (N, C·K, L) sliding blocks; ``padding``: (before, after) pairs."""
    cols = _im2col(x, kernel_size, stride, padding, dilation, 1)
    return cols.reshape(cols.shape[0], -1, cols.shape[-1])


def _col2im_backward(node, g):
    kw = node.ctx
    return (im2col(g, kernel_size=kw["kernel_size"], dilation=kw["dilation"],
                   padding=kw["padding"], stride=kw["stride"]),)


@composite("col2im", backward=_col2im_backward)
def col2im(cols, *, output_size, kernel_size, dilation, padding, stride) -> Tensor:
    """(N, C·K, L) blocks summed into (N, C, *output_size)."""
    k = tuple(kernel_size)
    o = tuple(_out_size(s, lo, hi, kk, st, d) for s, (lo, hi), kk, st, d in
              zip(output_size, padding, k, stride, dilation))
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(k)
    return _col2im(cols.reshape(n, c, -1), tuple(output_size), k, o, stride,
                   [lo for lo, _ in padding], dilation)


def _block_args(kernel_size, dilation, padding, stride):
    k = _tuple(kernel_size, 2, "kernel_size")
    d = _tuple(dilation, 2, "dilation")
    p = _tuple(padding, 2, "padding")
    s = _tuple(stride, 2, "stride")
    return dict(kernel_size=k, dilation=d, padding=tuple((v, v) for v in p), stride=s)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding local blocks: (N, C, H, W) → (N, C·kH·kW, L) (im2col).

    L is the number of block positions, ∏ ⌊(size + 2p − d(k−1) − 1)/s⌋ + 1.
    """
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported "
                                  f"(got {input.ndim}D)")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 3 else (input, False)
    kw = _block_args(kernel_size, dilation, padding, stride)
    for n, (lo, hi), k, d in zip(x.shape[2:], kw["padding"], kw["kernel_size"], kw["dilation"]):
        if _out_size(n, lo, hi, k, 1, d) <= 0:
            raise RuntimeError(f"Given input with spatial size {list(x.shape[2:])}, "
                               f"kernel_size={list(kw['kernel_size'])}, dilation="
                               f"{list(kw['dilation'])}, padding={[p for p, _ in kw['padding']]}"
                               ", calculated shape of the array of sliding blocks as non-positive")
    out = im2col(x, **kw)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding blocks (N, C·kH·kW, L) into (N, C, *output_size), summing overlaps
    (col2im; the adjoint of ``unfold``)."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input "
                                  f"Tensors are supported (got {input.ndim}D)")
    x, unbatched = (input.unsqueeze(0), True) if input.ndim == 2 else (input, False)
    kw = _block_args(kernel_size, dilation, padding, stride)
    size = _tuple(output_size, 2, "output_size")
    k = math.prod(kw["kernel_size"])
    if x.shape[1] % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={kw['kernel_size']}")
    blocks = math.prod(_out_size(n, lo, hi, kk, s, d) for n, (lo, hi), kk, s, d in
                       zip(size, kw["padding"], kw["kernel_size"], kw["stride"], kw["dilation"]))
    if x.shape[2] != blocks:
        raise RuntimeError(f"Given output_size={list(size)}, kernel_size={kw['kernel_size']}, "
                           f"dilation={kw['dilation']}, padding="
                           f"{tuple(p for p, _ in kw['padding'])}, stride={kw['stride']}, "
                           f"expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {blocks}, but got input.size(2)={x.shape[2]}.")
    out = col2im(x, output_size=size, **kw)
    return out.squeeze(0) if unbatched else out
