"""Run an op_db area's OpInfos on the CPU: float32 forward against float64, gradcheck (and
gradgradcheck where the OpInfo asks) in float64. The full conformance kit runs them on any
device; this keeps the areas' own test files self-checking."""

from __future__ import annotations

import numpy as np

import ember
from ember.autograd import gradcheck, gradgradcheck


def _to_tensor(a, dtype, grad):
    if not isinstance(a, np.ndarray):
        return a
    t = ember.tensor(a.astype(dtype) if a.dtype.kind == "f" else a)
    return t.requires_grad_() if grad and t.dtype.is_floating_point else t


def _outputs(out):
    return out if isinstance(out, tuple) else (out,)


def check_opinfo(op) -> None:
    for s32, s64 in zip(op.samples(np.random.default_rng(0), "float32"),
                        op.samples(np.random.default_rng(0), "float64")):
        out32 = _outputs(op.fn(*(_to_tensor(a, np.float32, False) for a in s32.args),
                               **s32.kwargs))
        args = tuple(_to_tensor(a, np.float64, op.grad) for a in s64.args)
        out64 = _outputs(op.fn(*args, **s64.kwargs))
        assert len(out32) == len(out64)
        for a, b in zip(out32, out64):
            assert a.shape == b.shape
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(),
                                       rtol=op.rtol32, atol=op.atol32)
        if op.grad:
            fn = lambda *xs, kw=s64.kwargs: op.fn(*xs, **kw)  # noqa: E731
            assert gradcheck(fn, args)
            if op.gradgrad:
                assert gradgradcheck(fn, args)
