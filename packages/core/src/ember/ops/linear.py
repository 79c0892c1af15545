"""Products of tensors: matmul and its family (mm, bmm, mv, addmm…), dot products, einsum,
tensordot, kron, trace, cross.

``matmul`` is the one primitive here (kernel "matmul", NumPy semantics); everything else is
written with it and with views/reductions, so every backend runs it. Shape errors follow PyTorch's
messages and name the shapes.
"""

from __future__ import annotations

import math

from .._tensor import Tensor, _wrap_dim, tensor_method, wrap
from ..amp import state as amp
from ..autograd.grad_mode import state
from ._dispatch import as_tensor_like, check_same_device, kernel, record
from .elementwise import sum_to
from .inplace import write_out

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
            "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_PRETTY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _unsq(x: Tensor, dim: int) -> Tensor:
    """``x.unsqueeze(dim)`` through reshape, which never needs as_strided on odd layouts."""
    d = _wrap_dim(dim, x.ndim + 1)
    return x.reshape(tuple(x.shape[:d]) + (1,) + tuple(x.shape[d:]))


def _shape_x(t: Tensor) -> str:
    return "x".join(str(s) for s in t.shape)


def _check_dtypes(a: Tensor, b: Tensor, m1="m1", m2="m2") -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected {m1} and {m2} to have the same dtype, but got: "
                           f"{_C_NAMES[a.dtype.name]} != {_C_NAMES[b.dtype.name]}")


def _as_tensors(a, b):
    if not isinstance(a, Tensor):
        a = as_tensor_like(a, b)
    if not isinstance(b, Tensor):
        b = as_tensor_like(b, a)
    return a, b


# ---- matmul (the primitive) -------------------------------------------------------------------

def _matmul_backward(node, g):
    """d(a @ b): g @ b^H and a^H @ g, with 1-d operands lifted to matrices and batch dims
    summed back to each operand's shape (broadcasting)."""
    a, b = node.saved_tensors()
    ea, eb = node.next_functions
    a2 = _unsq(a, 0) if a.ndim == 1 else a
    b2 = _unsq(b, -1) if b.ndim == 1 else b
    # the gradient of the lifted product (the dims that 1-d operands dropped, restored)
    g2 = g.reshape(_broadcast_batch(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
    ga = gb = None
    if ea is not None:
        ga = sum_to(matmul(g2, b2.mH), a2.shape).reshape(a.shape)
    if eb is not None:
        gb = sum_to(matmul(a2.mH, g2), b2.shape).reshape(b.shape)
    return ga, gb


def _check_matmul_shapes(a: Tensor, b: Tensor) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a == k_b:
        if a.ndim > 2 or b.ndim > 2:
            _broadcast_batch(a.shape[:-2] if a.ndim > 1 else (),
                             b.shape[:-2] if b.ndim > 1 else ())
        return
    if a.ndim == 1 and b.ndim == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a.ndim == 2 and b.ndim == 1:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_x(a)}), "
                           f"vec ({b.shape[0]})")
    if a.ndim <= 2 and b.ndim <= 2:
        sa = _shape_x(a) if a.ndim == 2 else f"1x{a.shape[0]}"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {_shape_x(b)})")
    batch = math.prod(_broadcast_batch(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ()))
    cols = b.shape[-1] if b.ndim > 1 else 1
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{batch}, {k_a}] but got: [{batch}, {k_b}] (matmul of shapes "
                       f"{list(a.shape)} and {list(b.shape)}, inner sizes {k_a} != {k_b}, "
                       f"{cols} columns).")


def _broadcast_batch(sa, sb) -> tuple:
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {max(len(sa), len(sb)) - i}")
        out.insert(0, max(x, y) if x != 1 and y != 1 else x * y)
    return tuple(out)


@tensor_method
def matmul(input, other, *, out=None) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands become a row/column that is dropped from
    the result, leading (batch) dimensions broadcast.

    Shape: (*, n, k) @ (*, k, m) -> (*, n, m); (n, k) @ (k,) -> (n,); (k,) @ (k,) -> ().
    """
    a, b = _as_tensors(input, other)
    if amp.state.active:
        a, b = amp.lower(a, b)  # matmul is on autocast's lower-precision list
    check_same_device(a, b, "matmul")
    _check_dtypes(a, b)
    _check_matmul_shapes(a, b)
    res = wrap(kernel(a._be, "matmul")(a._data, b._data), a)
    if state.grad_enabled and (a._rg or b._rg):
        record(res, _matmul_backward, "MmBackward0" if a.ndim == b.ndim == 2 else
               "MatmulBackward0", (a, b), (a, b))
    return res if out is None else write_out(out, res)


Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(as_tensor_like(other, self), self)


def _require_dim(t: Tensor, n: int, what: str) -> None:
    if t.ndim != n:
        raise RuntimeError(f"{what} must be a {'matrix' if n == 2 else f'{n}D tensor'}"
                           + ("" if n == 2 else f", got {t.ndim}D"))


@tensor_method
def mm(input, mat2, *, out=None) -> Tensor:
    """Matrix product of two matrices (no broadcasting). Shape: (n, k) @ (k, m) -> (n, m)."""
    _require_dim(input, 2, "self")
    _require_dim(mat2, 2, "mat2")
    return matmul(input, mat2, out=out)


@tensor_method
def bmm(input, mat2, *, out=None) -> Tensor:
    """Batched matrix product without broadcasting. Shape: (b, n, k) @ (b, k, m) -> (b, n, m)."""
    _require_dim(input, 3, "batch1")
    _require_dim(mat2, 3, "batch2")
    b, _, k = input.shape
    if mat2.shape[0] != b or mat2.shape[1] != k:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2, out=out)


@tensor_method
def mv(input, vec, *, out=None) -> Tensor:
    """Matrix-vector product. Shape: (n, k) @ (k,) -> (n,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return matmul(input, vec, out=out)


def _scaled_sum(input, prod, beta, alpha):
    """beta * input + alpha * prod; beta == 0 ignores input (even NaN/inf), like PyTorch."""
    from .shape import broadcast_shapes

    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:
        shape = broadcast_shapes(input.shape, prod.shape)
        return prod if tuple(prod.shape) == shape else prod.expand(shape).contiguous()
    return (input if beta == 1 else input * beta) + prod


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; input broadcasts to (n, m)."""
    return _maybe_out(_scaled_sum(input, mm(mat1, mat2), beta, alpha), out)


@tensor_method
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    return _maybe_out(_scaled_sum(input, mv(mat, vec), beta, alpha), out)


@tensor_method
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    return _maybe_out(_scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha), out)


@tensor_method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)``, batched."""
    return _maybe_out(_scaled_sum(input, bmm(batch1, batch2), beta, alpha), out)


def _maybe_out(res, out):
    return res if out is None else write_out(out, res)


for _n in ("addmm", "addmv", "addbmm", "baddbmm"):
    def _inplace(self, *args, _op=globals()[_n], **kwargs):
        from .inplace import apply_inplace

        return apply_inplace(_op, self, *args, **kwargs)

    setattr(Tensor, _n + "_", _inplace)


# ---- products of vectors ----------------------------------------------------------------------

def _check_vectors(a: Tensor, b: Tensor, name: str) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name} : expected both vectors to have same dtype, but found "
                           f"{_PRETTY[a.dtype.name]} and {_PRETTY[b.dtype.name]}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")


@tensor_method
def dot(input, tensor, *, out=None) -> Tensor:
    """Inner product of two 1-d tensors of one dtype (no conjugation)."""
    _check_vectors(input, tensor, "dot")
    return matmul(input, tensor, out=out)


@tensor_method
def vdot(input, other, *, out=None) -> Tensor:
    """``sum(conj(input) * other)`` of two 1-d tensors."""
    _check_vectors(input, other, "vdot")
    return matmul(input.conj(), other, out=out)


@tensor_method
def inner(input, other, *, out=None) -> Tensor:
    """Contraction over the last dimension of both; scalars multiply.

    Shape: (*a, k) and (*b, k) -> (*a, *b).
    """
    if input.ndim == 0 or other.ndim == 0:
        return _maybe_out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return _maybe_out(tensordot(input, other, ([-1], [-1])), out)


@tensor_method
def outer(input, vec2, *, out=None) -> Tensor:
    """Outer product of two 1-d tensors. Shape: (n,), (m,) -> (n, m)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, but got {input.ndim}D and "
                           f"{vec2.ndim}D tensors")
    return _maybe_out(_unsq(input, -1) * vec2, out)


ger = outer
Tensor.ger = outer


# ---- contractions -----------------------------------------------------------------------------

def tensordot(a, b, dims=2, out=None) -> Tensor:
    """Sum products over ``dims``: an int (last dims of a with first dims of b) or a pair of
    lists of dimensions. Written as one matmul of permuted, flattened operands."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length, but got {len(da)} "
                           f"and {len(db)}")
    da = [_wrap_dim(d, a.ndim) for d in da]
    db = [_wrap_dim(d, b.ndim) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y] and a.shape[x] != 1 and b.shape[y] != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(max(a.shape[x], b.shape[y]) for x, y in zip(da, db))
    ksh = tuple(max(a.shape[x], b.shape[y]) for x, y in zip(da, db))
    am = a.permute(free_a + da)
    bm = b.permute(db + free_b)
    am = am.expand(am.shape[:len(free_a)] + ksh) if am.shape[len(free_a):] != ksh else am
    bm = bm.expand(ksh + bm.shape[len(db):]) if bm.shape[:len(db)] != ksh else bm
    na = math.prod(a.shape[d] for d in free_a)
    nb = math.prod(b.shape[d] for d in free_b)
    res = matmul(am.reshape(na, k), bm.reshape(k, nb))
    res = res.reshape(tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))
    return _maybe_out(res, out)


@tensor_method
def kron(input, other, *, out=None) -> Tensor:
    """Kronecker product: block (i, j) of the result is ``input[i, j] * other``.

    Shape: (a0, a1, …), (b0, b1, …) -> (a0*b0, a1*b1, …) (the shorter one is padded with 1s).
    """
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # interleave: a as (a0, 1, a1, 1, …), b as (1, b0, 1, b1, …), then merge the pairs
    ai = a.reshape(tuple(x for s in a.shape for x in (s, 1)))
    bi = b.reshape(tuple(x for s in b.shape for x in (1, s)))
    res = (ai * bi).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))
    return _maybe_out(res, out)


def _diagonal_view(x: Tensor, offset: int, d1: int, d2: int) -> Tensor:
    """The diagonal of dims (d1, d2) as a view (moved to the last dim), via as_strided."""
    shape, strides = list(x.shape), list(x.stride())
    n1, n2 = shape[d1], shape[d2]
    if offset >= 0:
        size = max(min(n1, n2 - offset), 0)
        start = offset * strides[d2]
    else:
        size = max(min(n1 + offset, n2), 0)
        start = -offset * strides[d1]
    step = strides[d1] + strides[d2]
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    new_shape = [shape[i] for i in keep] + [size]
    new_strides = [strides[i] for i in keep] + [step]
    offset_el = x.storage_offset() + (start if size else 0)
    return x.as_strided(new_shape, new_strides, offset_el)


def _diagonal_copy(x: Tensor, offset: int, d1: int, d2: int) -> Tensor:
    """The diagonal of dims (d1, d2), moved last, gathered by advanced indexing (a copy: works
    on any storage layout, unlike an as_strided view)."""
    from .creation import arange

    n1, n2 = x.shape[d1], x.shape[d2]
    size = max(min(n1, n2 - offset), 0) if offset >= 0 else max(min(n1 + offset, n2), 0)
    rest = [i for i in range(x.ndim) if i not in (d1, d2)]
    idx = arange(size, device=x.device)
    i1 = idx - offset if offset < 0 else idx
    i2 = idx + offset if offset > 0 else idx
    return x.permute(rest + [d1, d2])[(Ellipsis, i1, i2)]


@tensor_method
def trace(input) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _diagonal_copy(input, 0, 0, 1).sum()


def _cross_impl(a: Tensor, b: Tensor, dim: int, name: str) -> Tensor:
    from .shape import broadcast_shapes

    if a.ndim != b.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    shape = broadcast_shapes(a.shape, b.shape)
    a, b = a.expand(shape), b.expand(shape)
    d = _wrap_dim(dim, len(shape))
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    from .creation import tensor

    def roll(t, order):
        key = (slice(None),) * d + (tensor(order, device=t.device),)
        return t[key]

    # (a × b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}
    return roll(a, [1, 2, 0]) * roll(b, [2, 0, 1]) - roll(a, [2, 0, 1]) * roll(b, [1, 2, 0])


@tensor_method
def cross(input, other, dim=None, *, out=None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
    if dim is None:
        from .shape import broadcast_shapes

        shape = broadcast_shapes(input.shape, other.shape)
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        dim = dims[0]
    return _maybe_out(_cross_impl(input, other, dim, "linalg.cross"), out)


def chain_matmul(*matrices, out=None) -> Tensor:
    """Product of 2-d matrices, left to right (``torch.chain_matmul``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    res = matrices[0]
    for m in matrices[1:]:
        res = mm(res, m)
    return _maybe_out(res if len(matrices) > 1 else res.clone(), out)


# ---- einsum -----------------------------------------------------------------------------------

def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)``.

    Supports ``...`` (broadcast dimensions), implicit output (labels seen once, sorted) and
    repeated labels in one operand (diagonals, e.g. ``"ii->i"``). Operands are contracted left
    to right, two at a time, each contraction one batched matmul.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    labels, out_labels = _einsum_parse(equation, operands)
    sizes = _einsum_sizes(labels, operands)
    counts: dict = {}
    for ls in labels:
        for l in set(ls):
            counts[l] = counts.get(l, 0) + 1
    # each operand alone: take diagonals, sum labels no one else needs
    terms = []
    for x, ls in zip(operands, labels):
        x, ls = _einsum_diagonals(x, ls)
        drop = [i for i, l in enumerate(ls) if counts[l] == 1 and l not in out_labels]
        if drop:
            x = x.sum(drop)
            ls = [l for i, l in enumerate(ls) if i not in drop]
        terms.append((x, ls))
    x, ls = terms[0]
    for i in range(1, len(terms)):
        later = set(out_labels)
        for _, l2 in terms[i + 1:]:
            later.update(l2)
        x, ls = _einsum_pair(x, ls, *terms[i], later, sizes)
    extra = [i for i, l in enumerate(ls) if l not in out_labels]
    if extra:
        x = x.sum(extra)
        ls = [l for l in ls if l in out_labels]
    x = x.permute([ls.index(l) for l in out_labels]) if ls != list(out_labels) else x
    target = tuple(sizes[l] for l in out_labels)
    return x.expand(target) if tuple(x.shape) != target else x


def _einsum_parse(equation: str, operands):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        more = "more" if len(operands) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {more} operands were provided than specified in the "
                           "equation")
    n_ell = 0
    labels = []
    for i, (term, x) in enumerate(zip(terms, operands)):
        _einsum_check_term(term, eq)
        if "..." in term:
            pre, post = term.split("...")
            k = x.ndim - len(pre) - len(post)
            if k < 0:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(pre) + len(post)}) is more than the number of "
                                   f"dimensions ({x.ndim}) for operand {i}")
            n_ell = max(n_ell, k)
            # ellipsis dims are labelled by their distance from the right: -k … -1
            labels.append(list(pre) + list(range(-k, 0)) + list(post))
        else:
            if len(term) != x.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(term)}) does not match the number of dimensions "
                                   f"({x.ndim}) for operand {i} and no ellipsis was given")
            labels.append(list(term))
    ell = list(range(-n_ell, 0))
    if arrow:
        _einsum_check_term(rhs, eq)
        if "..." in rhs:
            pre, post = rhs.split("...")
            out = list(pre) + ell + list(post)
        else:
            out = list(rhs)
        seen = {l for ls in labels for l in ls}
        for l in out:
            if out.count(l) > 1:
                raise RuntimeError(f"einsum(): output subscript {l} appears more than once in "
                                   "the output")
            if l not in seen:
                raise RuntimeError(f"einsum(): output subscript {l} does not appear in the "
                                   "equation for any input operand")
    else:
        flat = [l for ls in labels for l in ls if isinstance(l, str)]
        out = ell + sorted(l for l in set(flat) if flat.count(l) == 1)
    return labels, out


def _einsum_check_term(term: str, eq: str) -> None:
    if term.count("...") > 1:
        raise RuntimeError("einsum(): found '.' for operand that is not part of any ellipsis")
    for ch in term.replace("...", ""):
        if not ch.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(ch)} in "
                               f"the equation string, subscripts must be in [a-zA-Z]")


def _einsum_sizes(labels, operands) -> dict:
    sizes: dict = {}
    for i, (ls, x) in enumerate(zip(labels, operands)):
        for l, s in zip(ls, x.shape):
            prev = sizes.get(l)
            if prev is None or prev == 1:
                sizes[l] = s
            elif s != 1 and s != prev:
                name = "..." if isinstance(l, int) else l
                raise RuntimeError(f"einsum(): subscript {name} has size {s} for operand {i} "
                                   f"which does not broadcast with previously seen size {prev}")
    return sizes


def _einsum_diagonals(x: Tensor, ls):
    """Collapse repeated labels in one operand to their diagonal."""
    ls = list(ls)
    while len(set(ls)) != len(ls):
        l = next(l for l in ls if ls.count(l) > 1)
        p = ls.index(l)
        q = ls.index(l, p + 1)
        if x.shape[p] != x.shape[q]:
            raise RuntimeError(f"einsum(): subscript {l} is repeated for operand but the sizes "
                               f"don't match, {x.shape[p]} != {x.shape[q]}")
        d = _diagonal_copy(x, 0, p, q)  # diagonal moved last
        rest = [m for i, m in enumerate(ls) if i not in (p, q)]
        # put the diagonal back where the first occurrence was
        order = list(range(len(rest)))
        order.insert(p, len(rest))
        x = d.permute(order)
        ls = rest[:p] + [l] + rest[p:]
    return x, ls


def _einsum_pair(a: Tensor, la, b: Tensor, lb, keep, sizes):
    """Contract two labelled operands with one batched matmul."""
    batch = [l for l in la if l in lb and l in keep]
    contr = [l for l in la if l in lb and l not in keep]
    left = [l for l in la if l not in lb]
    right = [l for l in lb if l not in la]

    def arrange(x, ls, groups):
        flat = [l for g in groups for l in g]
        x = x.permute([ls.index(l) for l in flat])
        target = tuple(sizes[l] if l in batch or l in contr else x.shape[i]
                       for i, l in enumerate(flat))
        x = x.expand(target) if tuple(x.shape) != target else x
        dims = dict(zip(flat, target))
        return x.reshape(tuple(math.prod(dims[l] for l in g) for g in groups)), dims

    am, da = arrange(a, la, (batch, left, contr))
    bm, db = arrange(b, lb, (batch, contr, right))
    res = matmul(am, bm)
    res = res.reshape(tuple(da[l] for l in batch + left) + tuple(db[l] for l in right))
    return res, batch + left + right


from ._dispatch import public_names as _public_names  # noqa: E402

__all__ = _public_names(globals())
