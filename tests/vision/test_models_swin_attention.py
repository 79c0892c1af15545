"""Swin's shifted-window attention against a direct float64 NumPy transcription of the paper's
definition (window partition after a cyclic shift, relative position bias, -100 mask between
tokens from different regions of the unshifted image), token pair by token pair."""

import numpy as np
import pytest

import ember
from ember_vision.models.swin_transformer import ShiftedWindowAttention, shifted_window_attention


def _region_labels(hp, wp, win, shift):
    """Label of each position of the shifted image: which of the 3x3 regions it came from."""
    def axis(n, w, s):
        lab = np.zeros(n, dtype=int)
        lab[n - w:n - s] = 1
        lab[n - s:] = 2
        return lab
    rows, cols = axis(hp, win[0], shift[0]), axis(wp, win[1], shift[1])
    return rows[:, None] * 3 + cols[None, :]


def _reference(x, qkv_w, qkv_b, proj_w, proj_b, table, win, heads, shift):
    b, h, w, c = x.shape
    hp, wp = -(-h // win[0]) * win[0], -(-w // win[1]) * win[1]
    xp = np.zeros((b, hp, wp, c))
    xp[:, :h, :w] = x
    shift = [0 if win[0] >= hp else shift[0], 0 if win[1] >= wp else shift[1]]
    rolled = np.roll(xp, (-shift[0], -shift[1]), axis=(1, 2))
    labels = _region_labels(hp, wp, win, shift)
    out = np.zeros_like(rolled)
    d = c // heads
    for bi in range(b):
        for y0 in range(0, hp, win[0]):
            for x0 in range(0, wp, win[1]):
                pos = [(y, xx) for y in range(y0, y0 + win[0]) for xx in range(x0, x0 + win[1])]
                tok = np.array([rolled[bi, y, xx] for y, xx in pos])
                qkv = tok @ qkv_w.T + qkv_b
                q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
                res = np.zeros((len(pos), c))
                for hd in range(heads):
                    sl = slice(hd * d, (hd + 1) * d)
                    logits = np.zeros((len(pos), len(pos)))
                    for i, (yi, xi) in enumerate(pos):
                        for j, (yj, xj) in enumerate(pos):
                            row = (yi - yj + win[0] - 1) * (2 * win[1] - 1) + (xi - xj + win[1] - 1)
                            logits[i, j] = q[i, sl] @ k[j, sl] / np.sqrt(d) + table[row, hd]
                            if sum(shift) and labels[yi, xi] != labels[yj, xj]:
                                logits[i, j] -= 100.0
                    p = np.exp(logits - logits.max(1, keepdims=True))
                    res[:, sl] = (p / p.sum(1, keepdims=True)) @ v[:, sl]
                res = res @ proj_w.T + proj_b
                for (y, xx), r in zip(pos, res):
                    out[bi, y, xx] = r
    out = np.roll(out, (shift[0], shift[1]), axis=(1, 2))
    return out[:, :h, :w]


@pytest.mark.parametrize("hw, shift", [((8, 8), (2, 2)), ((6, 7), (2, 2)), ((8, 8), (0, 0)),
                                       ((4, 4), (2, 2))])
def test_shifted_window_attention_matches_definition(hw, shift):
    rng = np.random.default_rng(0)
    c, heads, win = 8, 2, [4, 4]
    x = rng.standard_normal((2, *hw, c))
    qkv_w, qkv_b = rng.standard_normal((3 * c, c)) * 0.3, rng.standard_normal(3 * c) * 0.1
    proj_w, proj_b = rng.standard_normal((c, c)) * 0.3, rng.standard_normal(c) * 0.1
    table = rng.standard_normal(((2 * win[0] - 1) * (2 * win[1] - 1), heads))
    attn = ShiftedWindowAttention(c, win, list(shift), heads).double()
    with ember.no_grad():
        attn.relative_position_bias_table.copy_(ember.from_numpy(table))
        out = shifted_window_attention(
            ember.from_numpy(x), ember.from_numpy(qkv_w), ember.from_numpy(proj_w),
            attn.get_relative_position_bias(), win, heads, list(shift),
            qkv_bias=ember.from_numpy(qkv_b), proj_bias=ember.from_numpy(proj_b),
            training=False)
    ref = _reference(x, qkv_w, qkv_b, proj_w, proj_b, table, win, heads, shift)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
