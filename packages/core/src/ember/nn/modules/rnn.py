"""Recurrent layers: RNN (tanh/relu), LSTM (with ``proj_size``), GRU and their cells.

PyTorch's arguments, gate orders (LSTM i, f, g, o; GRU r, z, n), parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``…) and initialisation.

Each layer/direction projects the inputs of ALL time steps with one matrix product; only the
recurrent part (``h @ W_hhᵀ`` and the gates) runs in the loop over time. Sequences are handled
in the packed layout throughout (a padded batch is a packed one whose batch size never shrinks):
at step ``t`` only the first ``batch_sizes[t]`` sequences are updated.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ..._tensor import Tensor
from ...ops._dispatch import record
from ...ops.shape import make_view
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# ---- small differentiable helpers -------------------------------------------------------------

def _split_backward(node, *grads):
    from ...ops.creation import zeros
    from ...ops.joining import cat

    dim, sizes, like = node.ctx
    parts = []
    for g, n in zip(grads, sizes):
        if g is None:
            shape = list(like)
            shape[dim] = n
            g = zeros(shape, dtype=node.out_meta[0][1], device=node.out_meta[0][2])
        parts.append(g)
    return (cat(parts, dim),)


def _split(x: Tensor, sizes, dim: int):
    """Views of consecutive pieces of ``x`` along ``dim`` with ONE backward node (a cat of the
    pieces' gradients), so that differentiating T pieces costs O(size of x), not O(T · size)."""
    from ...autograd.grad_mode import state
    from ...ops._dispatch import kernel

    cut = kernel(x._be, "slice")
    outs, start = [], 0
    for n in sizes:
        key = (slice(None),) * dim + (slice(start, start + n),)
        outs.append(make_view(x, cut(x._data, key)))
        start += n
    outs = tuple(outs)
    if x._rg and state.grad_enabled:
        record(outs, _split_backward, "SplitWithSizesBackward0", (x,), (),
               (dim, tuple(sizes), tuple(x.shape)), multi=True)
    return outs


def _linear(x: Tensor, w: Tensor, b) -> Tensor:
    y = x @ w.t()
    return y if b is None else y + b


def _dropout(x: Tensor, p: float) -> Tensor:
    from ..functional import dropout

    return dropout(x, p, training=True)


# ---- the cells' step functions (one time step, batch first) -----------------------------------

def _rnn_step(xp, h, w_hh, b_hh, act):
    return act(xp + _linear(h, w_hh, b_hh))


def _lstm_step(xp, h, c, w_hh, b_hh, w_hr):
    hs = c.shape[-1]
    i, f, g, o = _split(xp + _linear(h, w_hh, b_hh), (hs,) * 4, xp.ndim - 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if w_hr is None else h @ w_hr.t()), c


def _gru_step(xp, h, w_hh, b_hh):
    hs = h.shape[-1]
    d = xp.ndim - 1
    xr, xz, xn = _split(xp, (hs,) * 3, d)
    hr, hz, hn = _split(_linear(h, w_hh, b_hh), (hs,) * 3, d)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n)  # (1 - z) * n + z * h


# ---- RNNBase ----------------------------------------------------------------------------------

class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    Args:
        mode: ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"`` or ``"RNN_RELU"``.
        input_size, hidden_size: feature sizes of the input and of the hidden state.
        num_layers: stacked layers (each one's output feeds the next).
        bias: learn ``bias_ih``/``bias_hh``.
        batch_first: inputs/outputs are ``(N, L, *)`` instead of ``(L, N, *)`` (not the states).
        dropout: dropout on the outputs of every layer but the last (in training mode).
        bidirectional: also run each layer backwards in time; outputs are concatenated.
        proj_size: (LSTM only) project the hidden state to this size (``weight_hr``).
    """

    _gates = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        _check_rnn_args(mode, hidden_size, num_layers, dropout, proj_size)
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        from ...ops.creation import empty

        gate_size = self._gates[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                in_size = input_size if layer == 0 else real_hidden * num_directions
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih" + sfx, (gate_size, in_size)),
                          ("weight_hh" + sfx, (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih" + sfx, (gate_size,)), ("bias_hh" + sfx, (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr" + sfx, (proj_size, hidden_size))]
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                self._flat_weights_names.extend(n for n, _ in shapes)
                self._all_weights.append([n for n, _ in shapes])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ``(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            w.detach().uniform_(-stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch's cuDNN weight compaction has no counterpart here)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward ---------------------------------------------------------------------------
    def _weights(self, layer: int, direction: int):
        sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = self._parameters.get
        return (get("weight_ih" + sfx), get("weight_hh" + sfx), get("bias_ih" + sfx),
                get("bias_hh" + sfx), get("weight_hr" + sfx))

    def _prepare(self, input, hx, n_states: int):
        """Normalise the input to the packed layout; returns
        (data, batch_sizes list, packed, sorted_indices, unsorted_indices, batched, states)."""
        from ...ops.creation import zeros

        packed = isinstance(input, PackedSequence)
        name = type(self).__name__
        if packed:
            data, bs_t, sorted_idx, unsorted_idx = input
            batch_sizes = [int(b) for b in bs_t.tolist()]
            batch, batched = batch_sizes[0], True
            if data.ndim != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {data.ndim}")
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 "tensor instead")
            batched = input.ndim == 3
            _check_state_dims(hx, batched, n_states)
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
            steps, batch = x.shape[0], x.shape[1]
            data = x.reshape(steps * batch, x.shape[2])
            batch_sizes = [batch] * steps
            sorted_idx = unsorted_idx = None
            if not batched and hx is not None:
                hx = tuple(h.unsqueeze(1) for h in hx) if n_states == 2 else hx.unsqueeze(1)
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        d = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        shapes = [(self.num_layers * d, batch, real_hidden),
                  (self.num_layers * d, batch, self.hidden_size)][:n_states]
        if hx is None:
            states = [zeros(s, dtype=data.dtype, device=data.device) for s in shapes]
        else:
            states = list(hx) if n_states == 2 else [hx]
            for i, (h, s) in enumerate(zip(states, shapes)):
                if tuple(h.shape) != s:
                    what = "hidden size" if n_states == 1 or i == 0 else "hidden[1] size"
                    if n_states == 2 and i == 0:
                        what = "hidden[0] size"
                    raise RuntimeError(f"Expected {what} {s}, got {list(h.shape)}")
            if sorted_idx is not None:
                states = [h.index_select(1, sorted_idx) for h in states]
        return data, batch_sizes, packed, sorted_idx, unsorted_idx, batched, states

    def _run(self, data, batch_sizes, states):
        """All layers and directions; returns (output data, final states per kind)."""
        d = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        x = data
        for layer in range(self.num_layers):
            outs = []
            for direction in range(d):
                idx = layer * d + direction
                init = [s[idx] for s in states]
                out, last = self._direction(x, batch_sizes, init, layer, direction)
                outs.append(out)
                for f, s in zip(finals, last):
                    f.append(s)
            from ...ops.joining import cat, stack

            x = outs[0] if d == 1 else cat(outs, 1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        return x, [stack(f, 0) for f in finals]

    def _direction(self, x, batch_sizes, init, layer: int, direction: int):
        """One layer in one direction over the packed sequence ``x``."""
        from ...ops.joining import cat

        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
        mode = self.mode
        if mode == "GRU" or b_ih is None:
            xp = _linear(x, w_ih, b_ih)
        else:  # both biases folded into the one input projection
            xp = _linear(x, w_ih, b_ih + b_hh)
            b_hh = None
        steps = _split(xp, batch_sizes, 0)
        state = list(init)  # rows [n:] keep their values: those sequences have ended/not begun
        outs = [None] * len(steps)
        order = range(len(steps)) if direction == 0 else range(len(steps) - 1, -1, -1)
        act = (lambda t: t.relu()) if mode == "RNN_RELU" else (lambda t: t.tanh())
        for t in order:
            n = batch_sizes[t]
            cur = [s if s.shape[0] == n else s[:n] for s in state]
            if mode == "LSTM":
                new = list(_lstm_step(steps[t], cur[0], cur[1], w_hh, b_hh, w_hr))
            elif mode == "GRU":
                new = [_gru_step(steps[t], cur[0], w_hh, b_hh)]
            else:
                new = [_rnn_step(steps[t], cur[0], w_hh, b_hh, act)]
            outs[t] = new[0]
            state = [nw if nw.shape[0] == s.shape[0] else cat([nw, s[n:]], 0)
                     for nw, s in zip(new, state)]
        return cat(outs, 0), state

    def _finish(self, out, finals, packed, batch_sizes, batched, sorted_idx, unsorted_idx, inp):
        if unsorted_idx is not None:
            finals = [f.index_select(1, unsorted_idx) for f in finals]
        if packed:
            return PackedSequence(out, inp.batch_sizes, sorted_idx, unsorted_idx), finals
        steps, batch = len(batch_sizes), batch_sizes[0] if batch_sizes else 0
        out = out.reshape(steps, batch, out.shape[-1])
        if self.batch_first and batched:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
            finals = [f.squeeze(1) for f in finals]
        return out, finals

    def _forward(self, input, hx, n_states: int):
        data, bs, packed, si, ui, batched, states = self._prepare(input, hx, n_states)
        out, finals = self._run(data, bs, states)
        return self._finish(out, finals, packed, bs, batched, si, ui, input)


def _check_rnn_args(mode, hidden_size, num_layers, dropout, proj_size) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in RNNBase._gates:
        raise ValueError("Unrecognized RNN mode: " + mode)


def _check_state_dims(hx, batched: bool, n_states: int) -> None:
    if hx is None:
        return
    want = 3 if batched else 2
    kind = "batched 3-D" if batched else "unbatched 2-D"
    if n_states == 2:
        if any(h.ndim != want for h in hx):
            raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                               f"({hx[0].ndim}-D, {hx[1].ndim}-D) tensors")
    elif hx.ndim != want:
        raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D "
                           "tensor")


def _no_proj(kwargs) -> None:
    if "proj_size" in kwargs:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)``, act tanh or relu.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: see
            ``RNNBase``.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Shape:
        input ``(L, N, H_in)`` (``(N, L, H_in)`` if batch_first, or unbatched ``(L, H_in)``) or a
        ``PackedSequence``; h_0 ``(D·num_layers, N, H)``. Returns ``(output, h_n)``, output
        ``(L, N, D·H)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 **kwargs) -> None:
        _no_proj(kwargs)
        if kwargs:
            raise TypeError(f"RNN.__init__() got unexpected arguments {sorted(kwargs)}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        out, finals = self._forward(input, hx, 1)
        return out, finals[0]


class LSTM(RNNBase):
    """Long short-term memory, gates ``i, f, g, o`` (rows of ``weight_ih``/``weight_hh``):
    ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)`` (then ``h_t W_hrᵀ`` when
    ``proj_size > 0``).

    Shape:
        input as ``RNN``; ``hx = (h_0, c_0)`` with h_0 ``(D·num_layers, N, proj_size or H)``
        and c_0 ``(D·num_layers, N, H)``. Returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and not isinstance(hx, (tuple, list)):
            raise TypeError("LSTM expects hx as a tuple (h_0, c_0)")
        out, (h, c) = self._forward(input, hx, 2)
        return out, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit, gates ``r, z, n``: ``n = tanh(W_in x + b_in + r ⊙ (W_hn h +
    b_hn))``, ``h' = (1 - z) ⊙ n + z ⊙ h``.

    Shape: as ``RNN``. Returns ``(output, h_n)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, **kwargs) -> None:
        _no_proj(kwargs)
        if kwargs:
            raise TypeError(f"GRU.__init__() got unexpected arguments {sorted(kwargs)}")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        out, finals = self._forward(input, hx, 1)
        return out, finals[0]


# ---- cells ------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """One time step: ``weight_ih (chunks·H, H_in)``, ``weight_hh (chunks·H, H)`` and biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        from ...ops.creation import empty

        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            w.detach().uniform_(-stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx, n_states: int):
        from ...ops.creation import zeros

        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             "instead")
        states = None if hx is None else (list(hx) if n_states == 2 else [hx])
        if states is not None:
            for h in states:
                if h.ndim not in (1, 2):
                    raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.ndim}D "
                                     "instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected "
                               f"{self.input_size}")
        if states is None:
            states = [zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
                      for _ in range(n_states)]
        elif not batched:
            states = [h.unsqueeze(0) for h in states]
        for i, h in enumerate(states):
            if h.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} "
                                   f"batch size {h.shape[0]}")
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                                   f"expected {self.hidden_size}")
        return x, states, batched


class RNNCell(RNNCellBase):
    """``h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)``; input ``(N, H_in)`` or ``(H_in)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.__dict__["nonlinearity"] = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        act = (lambda t: t.relu()) if self.nonlinearity == "relu" else (lambda t: t.tanh())
        out = _rnn_step(_linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh, act)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._prepare(input, hx, 2)
        h, c = _lstm_step(_linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, hx, 1)
        out = _gru_step(_linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                        self.bias_hh)
        return out if batched else out.squeeze(0)
