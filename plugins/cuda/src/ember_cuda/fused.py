"""CUDA C fast paths (CuPy only): one kernel where the ``xp`` versions take several passes.

- gelu (erf and tanh), silu, sigmoid: ``cupy.ElementwiseKernel`` s (one pass instead of 4-6);
- softmax / log_softmax over the last dim, the "safe" softmax of attention (fully masked rows
  give 0), the rows' logsumexp of cross-entropy, and layer norm forward and input-gradient:
  one thread block per row (``RowKernels``, a ``cupy.RawModule``), two or three passes over
  the row with block reductions;
- the cross-entropy gradient ``exp(x - lse) * scale``: one ElementwiseKernel.

All accumulate in float32 for float16/bfloat16 (in float64 for float64). Each wrapper takes the
fused kernel only for inputs it was written for (contiguous rows of a supported dtype) and the
``xp`` version otherwise, so results agree with the decompositions either way. The CUDA
sources are plain strings here so that the tests can compile them with ``nvcc`` on machines
without a GPU (``tests/cuda/test_kernel_sources.py``).
"""

from __future__ import annotations

from . import fast_math, fast_nn
from .array_api import ArrayAPI, half_in_float32
from .primitives import make_matmul

# ---- elementwise kernels: (in params, out params, operation, name) ----------------------------

# ``A`` is the accumulation type: float for half/bfloat16/float, double for double
ELEMENTWISE_PREAMBLE = r"""
template <typename T> struct ember_acc { typedef float type; };
template <> struct ember_acc<double> { typedef double type; };
__device__ __forceinline__ float ember_exp(float v) { return expf(v); }
__device__ __forceinline__ double ember_exp(double v) { return exp(v); }
__device__ __forceinline__ float ember_erf(float v) { return erff(v); }
__device__ __forceinline__ double ember_erf(double v) { return erf(v); }
__device__ __forceinline__ float ember_tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double ember_tanh(double v) { return tanh(v); }
"""

ELEMENTWISE = {
    "gelu": ("T x", "T y", """
        typedef typename ember_acc<T>::type A;
        A v = (A)x;
        y = (T)((A)0.5 * v * ((A)1 + ember_erf(v * (A)0.70710678118654752440)));
    """),
    "gelu_tanh": ("T x", "T y", """
        typedef typename ember_acc<T>::type A;
        A v = (A)x;
        A inner = (v + (A)0.044715 * v * v * v) * (A)0.79788456080286535588;
        y = (T)((A)0.5 * v * ((A)1 + ember_tanh(inner)));
    """),
    "silu": ("T x", "T y", """
        typedef typename ember_acc<T>::type A;
        A v = (A)x;
        y = (T)(v / ((A)1 + ember_exp(-v)));
    """),
    "sigmoid": ("T x", "T y", """
        typedef typename ember_acc<T>::type A;
        A v = (A)x;
        y = (T)((A)1 / ((A)1 + ember_exp(-v)));
    """),
    # cross-entropy's gradient before the target correction: softmax(x) scaled per row
    "ce_grad": ("T x, T lse, T scale", "T p", """
        typedef typename ember_acc<T>::type A;
        p = (T)(ember_exp((A)x - (A)lse) * (A)scale);
    """),
}

# ---- row kernels: one block per row of a C-contiguous (rows, cols) array ----------------------

ROW_SOURCE = r"""
#include <cupy/carray.cuh>
#include <cupy/float16.cuh>
#include <cupy/bfloat16.cuh>

template <typename T> struct Acc { typedef float type; };
template <> struct Acc<double> { typedef double type; };

// -inf without INFINITY (NVRTC defines no <math.h> macros)
template <typename A> __device__ __forceinline__ A neg_inf();
template <> __device__ __forceinline__ float neg_inf<float>() {
  return __int_as_float(0xff800000);
}
template <> __device__ __forceinline__ double neg_inf<double>() {
  return __longlong_as_double(0xfff0000000000000ULL);
}

__device__ __forceinline__ float acc_exp(float v) { return expf(v); }
__device__ __forceinline__ double acc_exp(double v) { return exp(v); }
__device__ __forceinline__ float acc_log(float v) { return logf(v); }
__device__ __forceinline__ double acc_log(double v) { return log(v); }
__device__ __forceinline__ float acc_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double acc_sqrt(double v) { return sqrt(v); }

struct MaxOp {  // NaN wins, from either side (like amax)
  template <typename A> __device__ A operator()(A a, A b) const {
    return (a > b || a != a) ? a : b;
  }
};
struct SumOp {
  template <typename A> __device__ A operator()(A a, A b) const { return a + b; }
};

// The reduction of v over the block (blockDim.x: a multiple of 32, at most 1024); every
// thread gets the result. `shared` holds 32 values; it may be reused by the next call.
template <typename A, typename Op>
__device__ A block_reduce(A v, A* shared, Op op, A identity) {
  for (int offset = 16; offset > 0; offset >>= 1)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // the previous call's readers are done with shared[0]
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < (int)(blockDim.x >> 5) ? shared[lane] : identity;
    for (int offset = 16; offset > 0; offset >>= 1)
      v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  return shared[0];
}

// The row's max (0 when not finite, so that a row of -inf gives exp(-inf) = 0, not NaN) and
// the sum of exp(x - max).
template <typename T, typename A>
__device__ void row_max_sumexp(const T* row, int cols, A* shared, A& m, A& s) {
  m = neg_inf<A>();
  for (int j = threadIdx.x; j < cols; j += blockDim.x) m = MaxOp()(m, (A)row[j]);
  m = block_reduce(m, shared, MaxOp(), neg_inf<A>());
  if (!isfinite(m)) m = (A)0;
  s = (A)0;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) s += acc_exp((A)row[j] - m);
  s = block_reduce(s, shared, SumOp(), (A)0);
}

// softmax (LOG false) or log_softmax (LOG true) of each row; SAFE: rows whose exponentials
// sum to 0 (every entry -inf: a fully masked attention row) give 0 instead of NaN.
template <typename T, bool LOG, bool SAFE>
__global__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, int cols) {
  typedef typename Acc<T>::type A;
  __shared__ A shared[32];
  const long long base = (long long)blockIdx.x * cols;
  A m, s;
  row_max_sumexp(x + base, cols, shared, m, s);
  const A log_s = acc_log(s);
  for (int j = threadIdx.x; j < cols; j += blockDim.x) {
    const A v = (A)x[base + j] - m;
    A r = LOG ? v - log_s : acc_exp(v) / s;
    if (SAFE && s == (A)0) r = (A)0;
    y[base + j] = (T)r;
  }
}

// the gradient through a softmax: (g - sum(g * p)) * p * scale over each row (attention's
// backward, from the gradient g of the probabilities p)
template <typename T>
__global__ void softmax_backward_rows(const T* __restrict__ g, const T* __restrict__ p,
                                      T* __restrict__ out, int cols, double scale) {
  typedef typename Acc<T>::type A;
  __shared__ A shared[32];
  const long long base = (long long)blockIdx.x * cols;
  A s = (A)0;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) s += (A)g[base + j] * (A)p[base + j];
  s = block_reduce(s, shared, SumOp(), (A)0);
  for (int j = threadIdx.x; j < cols; j += blockDim.x)
    out[base + j] = (T)(((A)g[base + j] - s) * (A)p[base + j] * (A)scale);
}

// logsumexp of each row, into out[row] (cross-entropy's normaliser)
template <typename T>
__global__ void logsumexp_rows(const T* __restrict__ x, T* __restrict__ out, int cols) {
  typedef typename Acc<T>::type A;
  __shared__ A shared[32];
  A m, s;
  row_max_sumexp(x + (long long)blockIdx.x * cols, cols, shared, m, s);
  if (threadIdx.x == 0) out[blockIdx.x] = (T)(acc_log(s) + m);
}

// layer norm of each row: mean, two-pass biased variance, 1/sqrt(var + eps), then
// (x - mean) * invstd * w + b (w, b of length cols when has_w / has_b)
template <typename T>
__global__ void layernorm_rows(const T* __restrict__ x, const T* __restrict__ w,
                               const T* __restrict__ b, T* __restrict__ y,
                               T* __restrict__ mean_out, T* __restrict__ invstd_out,
                               T* __restrict__ var_out, int cols, double eps, int has_w,
                               int has_b) {
  typedef typename Acc<T>::type A;
  __shared__ A shared[32];
  const long long base = (long long)blockIdx.x * cols;
  A s = (A)0;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) s += (A)x[base + j];
  const A mean = block_reduce(s, shared, SumOp(), (A)0) / (A)cols;
  A q = (A)0;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) {
    const A d = (A)x[base + j] - mean;
    q += d * d;
  }
  const A var = block_reduce(q, shared, SumOp(), (A)0) / (A)cols;
  const A invstd = (A)1 / acc_sqrt(var + (A)eps);
  for (int j = threadIdx.x; j < cols; j += blockDim.x) {
    A r = ((A)x[base + j] - mean) * invstd;
    if (has_w) r *= (A)w[j];
    if (has_b) r += (A)b[j];
    y[base + j] = (T)r;
  }
  if (threadIdx.x == 0) {
    mean_out[blockIdx.x] = (T)mean;
    invstd_out[blockIdx.x] = (T)invstd;
    var_out[blockIdx.x] = (T)var;
  }
}

// the input gradient of layer norm: with d = g * invstd (* w) and xhat = (x - mean) * invstd,
// dx = d - mean(d) - xhat * mean(d * xhat) over the row
template <typename T>
__global__ void layernorm_rows_backward(const T* __restrict__ g, const T* __restrict__ x,
                                        const T* __restrict__ w, const T* __restrict__ mean,
                                        const T* __restrict__ invstd, T* __restrict__ dx,
                                        int cols, int has_w) {
  typedef typename Acc<T>::type A;
  __shared__ A shared[32];
  const long long base = (long long)blockIdx.x * cols;
  const A mu = (A)mean[blockIdx.x], inv = (A)invstd[blockIdx.x];
  A s1 = (A)0, s2 = (A)0;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) {
    A d = (A)g[base + j] * inv;
    if (has_w) d *= (A)w[j];
    s1 += d;
    s2 += d * (((A)x[base + j] - mu) * inv);
  }
  s1 = block_reduce(s1, shared, SumOp(), (A)0) / (A)cols;
  s2 = block_reduce(s2, shared, SumOp(), (A)0) / (A)cols;
  for (int j = threadIdx.x; j < cols; j += blockDim.x) {
    A d = (A)g[base + j] * inv;
    if (has_w) d *= (A)w[j];
    const A xhat = ((A)x[base + j] - mu) * inv;
    dx[base + j] = (T)(d - s1 - xhat * s2);
  }
}
"""

ROW_TYPES = {"float32": "float", "float64": "double", "float16": "float16",
             "bfloat16": "bfloat16"}


def row_kernel_names() -> list[str]:
    """Every template instantiation the backend may launch (the RawModule's name expressions)."""
    names = []
    for ctype in ROW_TYPES.values():
        for log in ("false", "true"):
            for safe in ("false", "true"):
                names.append(f"softmax_rows<{ctype}, {log}, {safe}>")
        names += [f"softmax_backward_rows<{ctype}>", f"logsumexp_rows<{ctype}>",
                  f"layernorm_rows<{ctype}>", f"layernorm_rows_backward<{ctype}>"]
    return names


class RowKernels:
    """Launches the row kernels of ``ROW_SOURCE`` (compiled on first use, cached by CuPy)."""

    def __init__(self, cupy):
        self.cp = cupy
        self._module = None

    def _get(self, name: str):
        if self._module is None:
            self._module = self.cp.RawModule(code=ROW_SOURCE, options=(),
                                             name_expressions=row_kernel_names())
        return self._module.get_function(name)

    @staticmethod
    def supports(*arrays) -> bool:
        """C-contiguous 2-d (rows, cols) arrays of one supported dtype, rows in int32 range."""
        a = arrays[0]
        return (a.ndim == 2 and a.dtype.name in ROW_TYPES and 0 < a.shape[1] < 2 ** 31
                and 0 < a.shape[0] < 2 ** 31
                and all(t is None or (t.dtype == a.dtype and t.flags.c_contiguous)
                        for t in arrays))

    @staticmethod
    def _threads(cols: int) -> int:
        """A multiple of 32 up to 1024: enough threads for one pass over the row."""
        return min(1024, max(32, 1 << (cols - 1).bit_length()))

    def _launch(self, name: str, rows: int, cols: int, args) -> None:
        self._get(name)((rows,), (self._threads(cols),), args)

    def softmax(self, x, log: bool, safe: bool):
        y = self.cp.empty_like(x)
        flags = f"{str(log).lower()}, {str(safe).lower()}"
        name = f"softmax_rows<{ROW_TYPES[x.dtype.name]}, {flags}>"
        self._launch(name, x.shape[0], x.shape[1], (x, y, self.cp.int32(x.shape[1])))
        return y

    def softmax_backward(self, g, p, scale: float):
        out = self.cp.empty_like(g)
        self._launch(f"softmax_backward_rows<{ROW_TYPES[g.dtype.name]}>", g.shape[0],
                     g.shape[1], (g, p, out, self.cp.int32(g.shape[1]), self.cp.float64(scale)))
        return out

    def logsumexp(self, x):
        out = self.cp.empty((x.shape[0], 1), x.dtype)
        self._launch(f"logsumexp_rows<{ROW_TYPES[x.dtype.name]}>", x.shape[0], x.shape[1],
                     (x, out, self.cp.int32(x.shape[1])))
        return out

    def layernorm(self, x, w, b, eps):
        cp = self.cp
        rows, cols = x.shape
        y = cp.empty_like(x)
        mean, invstd, var = (cp.empty((rows, 1), x.dtype) for _ in range(3))
        args = (x, x if w is None else w, x if b is None else b, y, mean, invstd, var,
                cp.int32(cols), cp.float64(eps), cp.int32(w is not None),
                cp.int32(b is not None))
        self._launch(f"layernorm_rows<{ROW_TYPES[x.dtype.name]}>", rows, cols, args)
        return y, mean, invstd, var

    def layernorm_backward(self, g, x, w, mean, invstd):
        cp = self.cp
        rows, cols = x.shape
        dx = cp.empty_like(x)
        args = (g, x, x if w is None else w, mean, invstd, dx, cp.int32(cols),
                cp.int32(w is not None))
        self._launch(f"layernorm_rows_backward<{ROW_TYPES[x.dtype.name]}>", rows, cols, args)
        return dx


# ---- the kernel table -----------------------------------------------------------------------------

def kernels(api: ArrayAPI) -> dict:
    cp = api.xp
    ew = {name: cp.ElementwiseKernel(params, out, op, f"ember_{name}",
                                      preamble=ELEMENTWISE_PREAMBLE)
          for name, (params, out, op) in ELEMENTWISE.items()}
    rows = RowKernels(cp)
    floating = ("float16", "bfloat16", "float32", "float64")
    generic_math = fast_math.kernels(api)
    generic_nn = fast_nn.kernels(api)

    def elementwise(name, generic):
        def kernel(x):
            return ew[name](x) if x.dtype.name in floating else generic(x)

        return kernel

    def gelu(x, approximate="none"):
        if x.dtype.name not in floating:
            return generic_nn["gelu"](x, approximate)
        return ew["gelu_tanh" if approximate == "tanh" else "gelu"](x)

    def normalized(log: bool):
        generic = generic_math["log_softmax" if log else "softmax"]

        def kernel(x, dim):
            if dim != x.ndim - 1 or not x.flags.c_contiguous or x.size == 0:
                return generic(x, dim)
            flat = x.reshape(-1, x.shape[-1])
            if not rows.supports(flat):
                return generic(x, dim)
            return rows.softmax(flat, log, safe=False).reshape(x.shape)

        return kernel

    table = {
        "gelu": gelu,
        "silu": elementwise("silu", generic_nn["silu"]),
        "sigmoid": elementwise("sigmoid", generic_nn["sigmoid"]),
        "softmax": normalized(log=False),
        "log_softmax": normalized(log=True),
        "native_norm": _native_norm(rows, generic_nn["native_norm"]),
        "native_norm_backward": _native_norm_backward(cp, rows, generic_nn["native_norm_backward"]),
    }
    table.update(_cross_entropy(api, rows, ew["ce_grad"]))
    table.update(_sdpa(api, rows))
    return table


def _layer_norm_rows(x, weight, bias, axes) -> bool:
    """Layer norm's (M, K) view normalised over its last axis, parameters of K elements."""
    k = x.shape[-1] if x.ndim == 2 else 0
    return (x.ndim == 2 and tuple(axes) == (1,) and RowKernels.supports(x, weight, bias)
            and all(t is None or t.size == k for t in (weight, bias)))


def _native_norm(rows: RowKernels, generic):
    def native_norm(x, weight, bias, axes, eps):
        if not _layer_norm_rows(x, weight, bias, axes):
            return generic(x, weight, bias, axes, eps)
        return rows.layernorm(x, weight, bias, eps)

    return native_norm


def _native_norm_backward(cp, rows: RowKernels, generic):
    def native_norm_backward(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias):
        if not (_layer_norm_rows(x, weight, None, axes) and tuple(wshape) == (1, x.shape[1])
                and RowKernels.supports(x, g, mean, invstd)):
            return generic(g, x, weight, mean, invstd, axes, wshape, need_weight, need_bias)
        dx = rows.layernorm_backward(g, x, weight, mean, invstd)
        dw = cp.sum(g * ((x - mean) * invstd), axis=0, keepdims=True) if need_weight else None
        db = cp.sum(g, axis=0, keepdims=True) if need_bias else None
        return dx, dw, db

    return native_norm_backward


def _cross_entropy(api: ArrayAPI, rows: RowKernels, ce_grad) -> dict:
    """Cross-entropy with the rows' logsumexp and the gradient's softmax as single kernels;
    the per-row bookkeeping (targets, weights, smoothing) is ``fast_nn``'s."""
    cp = api.xp

    def logsumexp(x):
        return rows.logsumexp(x) if rows.supports(x) else fast_nn.logsumexp_rows(cp, x)

    def softmax_scaled(x, lse, scale):
        if rows.supports(x):
            return ce_grad(x, lse, scale.reshape(-1, 1))
        return fast_nn.softmax_scaled(cp, x, lse, scale)

    # half-precision logits compute in float32, like the xp version (and PyTorch's autocast)
    return {
        "cross_entropy_nll": half_in_float32(cp, fast_nn.cross_entropy_nll_kernel(cp, logsumexp)),
        "cross_entropy_nll_backward": half_in_float32(
            cp, fast_nn.cross_entropy_nll_backward_kernel(cp, softmax_scaled)),
    }


def _sdpa(api: ArrayAPI, rows: RowKernels) -> dict:
    """Attention whose softmax over the scores, and the gradient through it, are row kernels.
    float16 and bfloat16 scores come from cuBLAS (float32 accumulation) and stay in half
    precision in the forward, like PyTorch's; the backward computes in float32. Masks and
    dropout are applied by ``fast_nn``'s code around the kernels."""
    cp = api.xp

    def as_rows(*arrays):
        """The arrays as (rows, last dim) matrices when the row kernels can take them."""
        if not arrays[0].size or not arrays[0].ndim:
            return None
        flat = [a.reshape(-1, a.shape[-1]) if a.flags.c_contiguous else None for a in arrays]
        same = all(f is not None and f.shape == flat[0].shape for f in flat)
        return flat if same and rows.supports(*flat) else None

    def safe_softmax(s):
        flat = as_rows(s)
        if flat is None:
            return fast_nn.safe_softmax(cp, s)
        return rows.softmax(flat[0], log=False, safe=True).reshape(s.shape)

    def through_softmax(gp, p, scale):
        flat = as_rows(gp, p)
        if flat is None:
            return fast_nn.softmax_backward(cp, gp, p, scale)
        return rows.softmax_backward(flat[0], flat[1], scale).reshape(gp.shape)

    mm = make_matmul(api)
    return {
        "scaled_dot_product_attention": fast_nn.sdpa_kernel(cp, mm, safe_softmax),
        "scaled_dot_product_attention_backward": half_in_float32(
            cp, fast_nn.sdpa_backward_kernel(cp, mm, through_softmax)),
    }
