"""``gradcheck``: compare autograd's Jacobian with central finite differences (float64).

``gradgradcheck`` does the same for the gradient itself (second derivatives, via create_graph).
"""

from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    pass


def _tensors(inputs):
    from .._tensor import Tensor

    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    return inputs, [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, tuple) else (out,)


def _numerical(fn, inputs, idx, eps):
    """d(flattened outputs)/d(input idx), column by column, by central differences.

    Grad mode stays on: gradgradcheck's function itself calls ``autograd.grad``.
    """
    x = inputs[idx]
    host = np.array(x.detach().numpy(force=True).reshape(-1))
    cols = []
    for j in range(host.size):
        vals = []
        for step in (eps, -eps):
            probe = host.copy()
            probe[j] += step
            xs = list(inputs)
            xs[idx] = _like(x, probe)
            vals.append(np.concatenate([_flat_host(o) for o in _outputs(fn, tuple(xs))
                                        if _float(o)]))
        cols.append((vals[0] - vals[1]) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((0, 0))


def _flat_host(t) -> np.ndarray:
    kind = np.complex128 if t.dtype.is_complex else np.float64
    return np.asarray(t.detach().numpy(force=True), kind).reshape(-1)


def _like(x, host):
    from ..ops.creation import tensor

    return tensor(host.reshape(tuple(x.shape)), dtype=x.dtype, device=x.device,
                  requires_grad=x.requires_grad)


def _float(t) -> bool:
    return t.dtype.is_floating_point or t.dtype.is_complex


def _analytical(fn, inputs, idx):
    """Rows of the Jacobian from one vector-Jacobian product per output element."""
    from ..ops.creation import zeros_like
    from . import grad

    outs = [o for o in _outputs(fn, inputs) if _float(o)]
    rows = []
    for o in outs:
        for j in range(o.numel()):
            g = zeros_like(o)
            g.view(-1)[j] = 1
            if not o.requires_grad:
                rows.append(np.zeros(inputs[idx].numel()))
                continue
            (gi,) = grad(o, inputs[idx], g, retain_graph=True, allow_unused=True)
            rows.append(np.zeros(inputs[idx].numel()) if gi is None
                        else np.asarray(gi.detach().numpy(force=True), np.float64).reshape(-1))
    return np.stack(rows) if rows else np.zeros((0, inputs[idx].numel()))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False) -> bool:
    """True when autograd's gradients of ``func`` at ``inputs`` match finite differences.

    Inputs that require grad should be float64 (float32 differences are too coarse).
    """
    inputs, idxs = _tensors(inputs)
    if not idxs:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in idxs:
        if inputs[i].dtype.name != "float64":
            import warnings

            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point. Finite differences may be inaccurate.", stacklevel=2)
        num = _numerical(func, inputs, i, eps)
        ana = _analytical(func, inputs, i)
        if num.shape != ana.shape or not np.allclose(ana, num.real, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for output 0 with respect to input {i},\n"
                                 f"numerical:{num}\nanalytical:{ana}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kwargs) -> bool:
    """gradcheck of the map (inputs, grad_outputs) → d(<func(inputs), grad_outputs>)/d(inputs)."""
    from ..ops.creation import tensor
    from . import grad

    inputs, idxs = _tensors(inputs)
    outs = [o for o in _outputs(func, inputs) if _float(o)]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                                    device=o.device, requires_grad=True) for o in outs)
    n = len(inputs)

    def first_grads(*args):
        xs, gs = args[:n], args[n:]
        ys = [o for o in _outputs(func, xs) if _float(o)]
        wanted = [xs[i] for i in idxs]
        gr = grad(ys, wanted, gs, create_graph=True, allow_unused=True)
        return tuple(g for g in gr if g is not None)

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
