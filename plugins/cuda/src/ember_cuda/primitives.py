"""The primitive kernels (``ember.ops.primitives.PRIMITIVES``) on an ``ArrayAPI``'s ``xp``.

CuPy mirrors NumPy, so most primitives are the array module's own function. The exceptions are
written out here: half-precision sums and products accumulate in float32 (AMP's rule, like
PyTorch's), views must stay views (``view``, ``slice``, ``as_strided``, ``expand``), kernels
return fresh arrays where the library would return its input (``real`` of a real array), and
sorting is stable with NaN last.
"""

from __future__ import annotations

from .array_api import ArrayAPI, is_half

_UFUNCS = {
    # ember name → NumPy/CuPy function name
    "neg": "negative", "abs": "abs", "sign": "sign", "sqrt": "sqrt", "exp": "exp", "log": "log",
    "sin": "sin", "cos": "cos", "tanh": "tanh", "atan": "arctan", "floor": "floor",
    "ceil": "ceil", "trunc": "trunc", "round": "round", "logical_not": "logical_not",
    "bitwise_not": "invert", "isnan": "isnan",
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide", "pow": "power",
    "maximum": "maximum", "minimum": "minimum", "atan2": "arctan2",
    "floor_divide": "floor_divide", "remainder": "remainder", "fmod": "fmod", "eq": "equal",
    "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_left_shift": "left_shift", "bitwise_right_shift": "right_shift",
}
_SPECIAL = {"erf": "erf", "erfinv": "erfinv", "lgamma": "gammaln", "digamma": "digamma"}


def kernels(api: ArrayAPI) -> dict:
    """The table of primitive kernels for ``api``."""
    xp = api.xp
    f32 = xp.dtype("float32")

    def accumulate(fn):
        """sum/prod: bool and integers in int64, half precision in float32, like PyTorch."""
        def kernel(x, dims, keepdim):
            if x.dtype.kind in "biu":
                return xp.asarray(fn(x, axis=dims, keepdims=keepdim, dtype=xp.int64))
            if is_half(x.dtype):
                return fn(x, axis=dims, keepdims=keepdim, dtype=f32).astype(x.dtype)
            return xp.asarray(fn(x, axis=dims, keepdims=keepdim))

        return kernel

    def scan(fn):
        def kernel(x, dim):
            if x.dtype.kind in "biu":
                return fn(x, axis=dim, dtype=xp.int64)
            if is_half(x.dtype):
                return fn(x, axis=dim, dtype=f32).astype(x.dtype)
            return fn(x, axis=dim)

        return kernel

    def arg(fn):
        def kernel(x, dim, keepdim):
            return xp.asarray(fn(x, axis=dim, keepdims=keepdim)).astype(xp.int64, copy=False)

        return kernel

    def sort(x, dim, descending, stable):
        if descending:
            # stable and NaN first (PyTorch): the ascending sort of the reversed input, reversed
            rev = api.stable_argsort(xp.flip(x, dim), dim)
            idx = x.shape[dim] - 1 - xp.flip(rev, dim)
        else:
            idx = api.stable_argsort(x, dim)
        idx = idx.astype(xp.int64, copy=False)
        return xp.take_along_axis(x, idx, axis=dim), idx

    def view(x, shape):
        try:
            return xp.reshape(x, shape, copy=False)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"view size is not compatible with input tensor's size and stride "
                             f"(shape {list(x.shape)} to {list(shape)}): {exc}") from None

    def slice_(x, key):
        # a trailing Ellipsis keeps an all-int key from returning a scalar instead of a 0-d view
        return x[key] if any(k is Ellipsis for k in key) else x[key + (Ellipsis,)]

    def index_put(x, key, values, accumulate):
        if accumulate:
            api.scatter_add(x, key, values)
        else:
            x[key] = values

    def copy_(dst, src):
        dst[...] = src

    def nonzero(x):
        if x.ndim == 0:
            return xp.zeros((int(bool(x)), 0), xp.int64)
        return xp.stack(xp.nonzero(x), axis=-1).astype(xp.int64, copy=False)

    def full(shape, value, dtype, index):
        with api.on_device(index):
            return xp.full(shape, value, dtype)

    def arange(start, end, step, dtype, index):
        with api.on_device(index):
            return xp.arange(start, end, step, dtype=dtype)

    def fresh(fn):
        # real/imag/conj return their input (or a view of it) for real arrays: kernels must not
        return lambda x: xp.array(fn(x), copy=True)

    def special(name):
        fn = api.special(_SPECIAL[name])

        def kernel(x):
            # the special functions have float32/float64 loops: half precision computes in float32
            out = fn(x.astype(f32) if is_half(x.dtype) else x)
            return xp.asarray(out).astype(x.dtype, copy=False)

        return kernel

    table = {name: getattr(xp, fn) for name, fn in _UFUNCS.items()}
    table.update({name: special(name) for name in _SPECIAL})
    table.update(
        real=fresh(xp.real), imag=fresh(xp.imag), conj=fresh(xp.conj),
        where=xp.where, astype=lambda x, dtype: x.astype(dtype),
        sum=accumulate(xp.sum), prod=accumulate(xp.prod),
        amax=lambda x, dims, keepdim: xp.asarray(xp.amax(x, axis=dims, keepdims=keepdim)),
        amin=lambda x, dims, keepdim: xp.asarray(xp.amin(x, axis=dims, keepdims=keepdim)),
        argmax=arg(xp.argmax), argmin=arg(xp.argmin),
        cumsum=scan(xp.cumsum), cumprod=scan(xp.cumprod), sort=sort,
        view=view, permute=xp.transpose, expand=xp.broadcast_to, slice=slice_,
        as_strided=api.as_strided, contiguous=lambda x: x.copy(order="C"),
        cat=lambda xs, dim: xp.concatenate(xs, axis=dim),
        index=lambda x, key: xp.asarray(x[key]), index_put=index_put, copy_=copy_,
        nonzero=nonzero, matmul=make_matmul(api), full=full, arange=arange,
    )
    return table


def make_matmul(api: ArrayAPI):
    """``xp.matmul``. Half precision goes through cuBLAS on CuPy (float32 accumulation); where
    the array library has no GEMM for the dtype (NumPy's float16/bfloat16, a CuPy without
    bfloat16 GEMM) the operands are widened to float32 and the result rounded back."""
    xp = api.xp
    f32 = xp.dtype("float32")
    native: dict = {}  # half dtype → whether xp.matmul multiplies it natively

    def has_native_gemm(dtype) -> bool:
        if dtype not in native:
            native[dtype] = False
            if api.fused:
                try:
                    probe = xp.ones((2, 2), dtype)
                    native[dtype] = bool(xp.matmul(probe, probe)[0, 0] == 2)
                except Exception:  # noqa: BLE001 - no kernel for the dtype: widen instead
                    native[dtype] = False
        return native[dtype]

    def matmul(a, b):
        if is_half(a.dtype) and not has_native_gemm(a.dtype):
            return xp.matmul(a.astype(f32), b.astype(f32)).astype(a.dtype)
        return xp.matmul(a, b)

    matmul.native_gemm = has_native_gemm  # gpu_check.sh reports which route each dtype takes
    return matmul
