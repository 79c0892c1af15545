"""Load a case of ``fixtures/layers/<file>.npz`` (made by PyTorch 2.13, see the README in
``../shared/fixtures/layers``) and compare an ember call with it: outputs, in-place updated
buffers (``<name>_after``) and the gradients of every differentiable leaf."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ember

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "layers"
TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 1e-4, "atol": 1e-5}}


def load_case(file: str, case: str, dtype: str) -> dict:
    with np.load(FIXTURES / f"{file}.npz") as z:
        prefix = f"{case}/{dtype}/"
        return {k[len(prefix):]: z[k] for k in z.files if k.startswith(prefix)}


def check_case(file, case, dtype, call, no_grad=(), tol=None) -> None:
    """``call(**tensors)`` returns the output; its gradients are compared for every float
    input not named in ``no_grad``."""
    d = load_case(file, case, dtype)
    assert d, f"no case {case}/{dtype} in {file}.npz"
    tensors, leaves = {}, {}
    for name, value in d.items():
        if name.startswith("grad_") or name == "output" or name.endswith("_after"):
            continue
        t = ember.tensor(value.copy())
        if value.dtype.kind == "f" and name not in no_grad:
            t.requires_grad_()
            leaves[name] = t
        tensors[name] = t
    out = call(**tensors)
    tol = tol or TOL[dtype]
    np.testing.assert_allclose(out.detach().numpy(), d["output"], **tol, err_msg="output")
    for name in d:
        if name.endswith("_after"):
            base = name[:-len("_after")]
            np.testing.assert_allclose(tensors[base].numpy(), d[name], **tol, err_msg=name)
    out.backward(ember.tensor(d["grad_output"]))
    for name, t in leaves.items():
        want = d[f"grad_{name}"]
        got = t.grad.numpy() if t.grad is not None else np.zeros_like(want)
        np.testing.assert_allclose(got, want, **tol, err_msg=f"grad_{name}")
