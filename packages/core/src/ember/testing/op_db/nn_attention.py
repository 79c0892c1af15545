"""OpInfos of ``nn.functional.scaled_dot_product_attention`` (small shapes: masks, causal,
a scale, a value size different from the key size, and broadcasting of batch dims)."""

from __future__ import annotations

from ..opinfo import OpInfo, Sample, arr


def _sdpa(q, k, v, attn_mask=None, **kwargs):
    from ember.nn import functional as F

    return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, **kwargs)


def _samples(rng, dtype):
    def a(*shape):
        return arr(rng, shape, dtype, -1.5, 1.5)

    keep = rng.random((3, 5)) < 0.7
    keep[:, 0] = True  # every query sees at least one key
    return [
        Sample((a(2, 2, 3, 4), a(2, 2, 5, 4), a(2, 2, 5, 4))),
        Sample((a(1, 2, 4, 4), a(1, 2, 4, 4), a(1, 2, 4, 3)), {"is_causal": True}),
        Sample((a(2, 3, 4), a(2, 5, 4), a(2, 5, 6)), {"attn_mask": keep}),
        Sample((a(2, 2, 3, 4), a(2, 2, 5, 4), a(2, 2, 5, 4), a(2, 1, 3, 5)),
               grad_args=(0, 1, 2)),
        Sample((a(2, 1, 3, 4), a(2, 5, 4), a(2, 5, 4)), {"scale": 0.3}),
    ]


def _sdpa_float_mask(q, k, v, mask):
    return _sdpa(q, k, v, attn_mask=mask)


OPS = [
    OpInfo("nn.functional.scaled_dot_product_attention", _sdpa, _samples, gradgrad=True),
    OpInfo("nn.functional.scaled_dot_product_attention_mask_grad", _sdpa_float_mask,
           lambda rng, dt: [Sample((arr(rng, (2, 3, 4), dt), arr(rng, (2, 5, 4), dt),
                                    arr(rng, (2, 5, 2), dt), arr(rng, (3, 5), dt)))],
           gradgrad=True),
]
