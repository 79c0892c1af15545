/* Complex tensors (T = float2 / double2 holding (real, imag); RT its real type): the few
 * elementwise kernels, casts and the GEMM that ember's complex ops (fft and its gradients)
 * need. The geometry and the kernel shapes are elementwise.cl's. */

inline T c_mul(T a, T b) { return (T)(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
inline T c_div(T a, T b) {
    RT d = b.x * b.x + b.y * b.y;
    return (T)((a.x * b.x + a.y * b.y) / d, (a.y * b.x - a.x * b.y) / d);
}

#define UNARY(name, OT, expr) \
__kernel void k_##name(__global OT *o, __global const T *a, geom_t g) { \
    ITEM(i, g.n) { \
        pos_t q = locate(&g, i); \
        T x = a[q.p[1]]; \
        o[q.p[0]] = expr; \
    } \
}

#define BINARY(name, OT, expr) \
__kernel void k_##name(__global OT *o, __global const T *pa, __global const T *pb, T sa, T sb, \
                       geom_t g) { \
    ITEM(i, g.n) { \
        pos_t q = locate(&g, i); \
        T a = (g.smask & 2) ? sa : pa[q.p[1]]; \
        T b = (g.smask & 4) ? sb : pb[q.p[2]]; \
        o[q.p[0]] = expr; \
    } \
}

UNARY(neg, T, -x)
UNARY(conj, T, (T)(x.x, -x.y))
UNARY(real, RT, x.x)
UNARY(imag, RT, x.y)
UNARY(abs, RT, hypot(x.x, x.y))
UNARY(isnan, uchar, (isnan(x.x) || isnan(x.y)) ? 1 : 0)
BINARY(add, T, a + b)
BINARY(sub, T, a - b)
BINARY(mul, T, c_mul(a, b))
BINARY(div, T, c_div(a, b))
BINARY(eq, uchar, (a.x == b.x && a.y == b.y) ? 1 : 0)
BINARY(ne, uchar, (a.x != b.x || a.y != b.y) ? 1 : 0)

__kernel void k_fill(__global T *o, T v, geom_t g) {
    ITEM(i, g.n) { o[locate(&g, i).p[0]] = v; }
}

/* casts: to another complex type keep both parts, to real types the real part (NumPy's) */
UNARY(cast_bool, uchar, (x.x != 0 || x.y != 0) ? 1 : 0)
UNARY(cast_uint8, uchar, (uchar)(long)x.x)
UNARY(cast_int8, char, (char)(long)x.x)
UNARY(cast_int16, short, (short)(long)x.x)
UNARY(cast_int32, int, (int)x.x)
UNARY(cast_int64, long, (long)x.x)
UNARY(cast_float32, float, (float)x.x)
UNARY(cast_complex64, float2, convert_float2(x))
#ifdef HAS_FP64
UNARY(cast_float64, double, (double)x.x)
UNARY(cast_complex128, double2, convert_double2(x))
#endif

/* C[z] = A[z] @ B[z], one output element per work-item (mgeom_t as in gemm.cl) */
typedef struct {
    int M, N, K, pad;
    int a_off, a_bs, a_rs, a_cs;
    int b_off, b_bs, b_rs, b_cs;
} mgeom_t;

__kernel void k_gemm(__global T *C, __global const T *A, __global const T *B, mgeom_t g) {
    const int col = get_global_id(0), row = get_global_id(1), z = get_global_id(2);
    if (row >= g.M || col >= g.N) return;
    __global const T *a = A + g.a_off + z * g.a_bs + row * g.a_rs;
    __global const T *b = B + g.b_off + z * g.b_bs + col * g.b_cs;
    T acc = (T)(0, 0);
    for (int k = 0; k < g.K; ++k) acc += c_mul(a[k * g.a_cs], b[k * g.b_rs]);
    C[z * g.M * g.N + row * g.N + col] = acc;
}
