"""OpInfos of convolution, pooling and resampling (``ember.nn.functional``), small shapes.

On a backend without the CPU's fast paths these run the decompositions (im2col through
``as_strided``, col2im through ``index_add``, pooling windows, interpolation matrices), and the
kit compares them with the CPU's fast paths in float64.
"""

from __future__ import annotations

import ember.nn.functional as F

from ..opinfo import OpInfo, Sample, arr


def _s(*shapes, **kwargs):
    def samples(rng, dtype):
        return [Sample(tuple(arr(rng, s, dtype) for s in shapes), dict(kwargs))]

    return samples


def _distinct(shape):
    """Values without ties (max pooling's gradient is then well defined)."""
    def samples(rng, dtype):
        import numpy as np

        n = int(np.prod(shape))
        return [Sample(((rng.permutation(n) / n - 0.5).reshape(shape).astype(dtype),))]

    return samples


OPS = [
    OpInfo("nn.functional.conv2d",
           lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                    groups=2),
           _s((2, 4, 5, 4), (4, 2, 3, 2), (4,)), gradgrad=True),
    OpInfo("nn.functional.conv1d_same", lambda x, w: F.conv1d(x, w, padding="same"),
           _s((1, 2, 6), (3, 2, 4))),
    OpInfo("nn.functional.conv3d", lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1),
           _s((1, 2, 3, 4, 3), (2, 2, 2, 2, 2))),
    OpInfo("nn.functional.conv_transpose2d",
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                              groups=2, dilation=(1, 2)),
           _s((1, 4, 3, 3), (4, 1, 3, 2), (2,)), gradgrad=True),
    OpInfo("nn.functional.unfold", lambda x: F.unfold(x, (2, 2), padding=1, stride=(2, 1)),
           _s((1, 2, 4, 3))),
    OpInfo("nn.functional.fold", lambda c: F.fold(c, (4, 3), (2, 2), padding=1, stride=(2, 1)),
           _s((1, 8, 12))),
    OpInfo("nn.functional.max_pool2d",
           lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True),
           _distinct((1, 2, 6, 5))),
    OpInfo("nn.functional.max_pool1d_dilated", lambda x: F.max_pool1d(x, 2, 1, dilation=2),
           _distinct((2, 2, 6))),
    OpInfo("nn.functional.avg_pool2d",
           lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           _s((1, 2, 6, 5))),
    OpInfo("nn.functional.adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
           _s((1, 2, 5, 7))),
    OpInfo("nn.functional.adaptive_max_pool2d",
           lambda x: F.adaptive_max_pool2d(x, (2, 3), return_indices=True),
           _distinct((1, 2, 5, 7))),
    OpInfo("nn.functional.interpolate_bicubic",
           lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic"), _s((1, 1, 3, 4))),
    OpInfo("nn.functional.interpolate_bilinear_aa",
           lambda x: F.interpolate(x, size=(2, 3), mode="bilinear", antialias=True),
           _s((1, 1, 5, 6))),
    OpInfo("nn.functional.interpolate_nearest",
           lambda x: F.interpolate(x, scale_factor=(1.5, 0.5), mode="nearest"),
           _s((1, 2, 3, 4))),
    OpInfo("nn.functional.grid_sample",
           lambda x, g: F.grid_sample(x, g.tanh() * 1.2, padding_mode="reflection"),
           _s((1, 2, 3, 4), (1, 2, 3, 2))),
    OpInfo("nn.functional.affine_grid", lambda th: F.affine_grid(th, (2, 1, 3, 4)),
           _s((2, 2, 3))),
]
