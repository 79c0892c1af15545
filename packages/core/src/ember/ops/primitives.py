"""The primitive ops: the kernels every backend must register. This page is the whole contract.

Kernels take and return backend arrays (``x``, ``a``, ``b``…; binary kernels also accept a Python
scalar as either operand), shapes as tuples, ``dtype`` as a NumPy dtype and ``dims`` as a tuple of
non-negative axes or None for all. They follow NumPy's semantics (broadcasting, result dtypes of
same-dtype operands, indexing) except where noted; ember's ops do type promotion, argument checks
and autograd before calling them, so a kernel never sees mixed dtypes.

Every other op in ember is written in terms of these (its "decomposition"); a backend may also
register a kernel under that op's name as a fast path, which must agree with the decomposition
(``ember.testing``'s conformance kit checks both).
"""

UNARY = [
    # float in, float out (complex where NumPy allows); NaN propagates
    "neg", "abs", "sign", "sqrt", "exp", "log", "sin", "cos", "tanh", "atan",
    "floor", "ceil", "trunc", "round",  # round: half to even
    "erf", "erfinv", "lgamma", "digamma",
    "real", "imag", "conj",
    "logical_not", "bitwise_not",  # bool/int
    "isnan",  # → bool
]

BINARY = [
    "add", "sub", "mul", "div",  # div: true division of floats (ints are cast before)
    "pow", "maximum", "minimum", "atan2",
    "floor_divide", "remainder",  # Python's sign rules: remainder has the sign of the divisor
    "fmod",  # C's: the sign of the dividend
    "eq", "ne", "lt", "le", "gt", "ge",  # → bool
    "logical_and", "logical_or", "logical_xor",  # → bool
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
]

PRIMITIVES: dict[str, str] = {
    **{name: "(x) -> array, elementwise" for name in UNARY},
    **{name: "(a, b) -> array, elementwise with broadcasting" for name in BINARY},
    "where": "(cond, a, b) -> array; cond is bool, a/b arrays or scalars of one dtype",
    "astype": "(x, dtype) -> a copy of x converted to dtype (C casts: float→int truncates)",
    # reductions: dims is a tuple of axes or None (all); keepdim keeps reduced axes as size 1
    "sum": "(x, dims, keepdim) -> array; bool/int inputs sum in int64",
    "prod": "(x, dims, keepdim) -> array; bool/int inputs multiply in int64",
    "amax": "(x, dims, keepdim) -> array",
    "amin": "(x, dims, keepdim) -> array",
    "argmax": "(x, dim, keepdim) -> int64 array; dim None flattens; first index of ties",
    "argmin": "(x, dim, keepdim) -> int64 array; dim None flattens; first index of ties",
    "cumsum": "(x, dim) -> array; int inputs accumulate in int64",
    "cumprod": "(x, dim) -> array",
    "sort": "(x, dim, descending, stable) -> (values, int64 indices); NaN sorts as the largest "
            "value (last ascending, first descending), like PyTorch",
    # movement and views: the results of view/permute/expand/slice/as_strided share memory with x
    "view": "(x, shape) -> view with a new shape; raises ValueError when no view exists",
    "permute": "(x, dims) -> view with permuted axes",
    "expand": "(x, shape) -> broadcast view (stride 0 on expanded axes)",
    "slice": "(x, key) -> view; key: tuple of int, slice(step>0), None, Ellipsis",
    "as_strided": "(x, shape, strides, offset) -> view of x's storage; strides/offset in elements",
    "contiguous": "(x) -> C-contiguous copy",
    "cat": "(xs, dim) -> array; xs a list of arrays of one dtype",
    # indexing
    "index": "(x, key) -> array; NumPy advanced indexing, key items: int, slice, None, Ellipsis, "
             "int64 array, bool array",
    "index_put": "(x, key, values, accumulate) -> None; writes x[key] = values in place, or adds "
                 "with repeated indices accumulating when accumulate",
    "copy_": "(dst, src) -> None; dst[...] = src in place, src broadcast to dst's shape",
    "nonzero": "(x) -> int64 array of shape (n, x.ndim)",
    # linear algebra
    "matmul": "(a, b) -> array; NumPy matmul semantics (batched, 1-d operands)",
    # creation on the device
    "full": "(shape, value, dtype, index) -> new array on device `index`",
    "arange": "(start, end, step, dtype, index) -> new 1-d array on device `index`",
}
