/* Strided elementwise kernels for one element type T: every unary and binary primitive, where,
 * fill, arange and the casts from T. Operand 0 of the geometry is the output (itself strided, so
 * copy_ and fill write straight into views), operands 1-3 the inputs. Which ops exist for which
 * kind of T follows NumPy; the host only calls the ones it lists (elementwise.py). */

#define UNARY(name, OT, expr) \
__kernel void k_##name(__global OT *o, __global const T *a, geom_t g) { \
    ITEM(i, g.n) { \
        pos_t q = locate(&g, i); \
        T x = a[q.p[1]]; \
        o[q.p[0]] = (OT)(expr); \
    } \
}

/* a scalar operand (smask bit 1 or 2) arrives as sa / sb; its pointer is a dummy buffer */
#define BINARY(name, OT, expr) \
__kernel void k_##name(__global OT *o, __global const T *pa, __global const T *pb, T sa, T sb, \
                   geom_t g) { \
    ITEM(i, g.n) { \
        pos_t q = locate(&g, i); \
        T a = (g.smask & 2) ? sa : pa[q.p[1]]; \
        T b = (g.smask & 4) ? sb : pb[q.p[2]]; \
        o[q.p[0]] = (OT)(expr); \
    } \
}

/* ---- unary ---- */
UNARY(real, T, x)
UNARY(conj, T, x)
UNARY(imag, T, 0)
UNARY(logical_not, uchar, x == 0)
#ifdef IS_FLOAT
UNARY(isnan, uchar, isnan(x) != 0)
UNARY(neg, T, -x)
UNARY(abs, T, fabs(x))
UNARY(sign, T, em_sign(x))
UNARY(sqrt, T, sqrt(x))
UNARY(exp, T, exp(x))
UNARY(log, T, log(x))
UNARY(sin, T, sin(x))
UNARY(cos, T, cos(x))
UNARY(tanh, T, tanh(x))
UNARY(atan, T, atan(x))
UNARY(floor, T, floor(x))
UNARY(ceil, T, ceil(x))
UNARY(trunc, T, trunc(x))
UNARY(round, T, rint(x))
UNARY(erf, T, erf(x))
UNARY(erfinv, T, em_erfinv(x))
UNARY(lgamma, T, lgamma(x))
UNARY(digamma, T, em_digamma(x))
/* fast paths beyond the primitives */
UNARY(expm1, T, expm1(x))
UNARY(log1p, T, log1p(x))
UNARY(tan, T, tan(x))
UNARY(sinh, T, sinh(x))
UNARY(cosh, T, cosh(x))
UNARY(asin, T, asin(x))
UNARY(acos, T, acos(x))
UNARY(asinh, T, asinh(x))
UNARY(acosh, T, acosh(x))
UNARY(atanh, T, atanh(x))
UNARY(exp2, T, exp2(x))
UNARY(log2, T, log2(x))
UNARY(log10, T, log10(x))
UNARY(reciprocal, T, 1 / x)
UNARY(square, T, x * x)
UNARY(relu, T, x > 0 ? x : (isnan(x) ? x : 0))
UNARY(sigmoid, T, 1 / (1 + exp(-x)))
UNARY(silu, T, x / (1 + exp(-x)))
UNARY(isinf, uchar, isinf(x) != 0)
UNARY(isfinite, uchar, isfinite(x) != 0)
#elif defined(IS_BOOL)
UNARY(isnan, uchar, 0)
UNARY(isinf, uchar, 0)
UNARY(isfinite, uchar, 1)
UNARY(abs, T, x)
UNARY(relu, T, x)
UNARY(square, T, x)
UNARY(bitwise_not, T, !x)
#else
UNARY(isnan, uchar, 0)
UNARY(neg, T, -x)
UNARY(abs, T, x < 0 ? -x : x)
UNARY(sign, T, em_sign(x))
UNARY(floor, T, x)
UNARY(ceil, T, x)
UNARY(trunc, T, x)
UNARY(round, T, x)
UNARY(bitwise_not, T, ~x)
UNARY(relu, T, x > 0 ? x : 0)
UNARY(square, T, x * x)
UNARY(isinf, uchar, 0)
UNARY(isfinite, uchar, 1)
#endif

/* ---- binary ---- */
BINARY(eq, uchar, a == b)
BINARY(ne, uchar, a != b)
BINARY(lt, uchar, a < b)
BINARY(le, uchar, a <= b)
BINARY(gt, uchar, a > b)
BINARY(ge, uchar, a >= b)
BINARY(logical_and, uchar, (a != 0) && (b != 0))
BINARY(logical_or, uchar, (a != 0) || (b != 0))
BINARY(logical_xor, uchar, (a != 0) != (b != 0))
#ifdef IS_FLOAT
BINARY(add, T, a + b)
BINARY(sub, T, a - b)
BINARY(mul, T, a * b)
BINARY(div, T, a / b)
BINARY(pow, T, pow(a, b))
BINARY(maximum, T, em_max(a, b))
BINARY(minimum, T, em_min(a, b))
BINARY(atan2, T, atan2(a, b))
BINARY(floor_divide, T, em_floordiv(a, b))
BINARY(remainder, T, em_remainder(a, b))
BINARY(fmod, T, fmod(a, b))
#elif defined(IS_BOOL)
BINARY(add, T, a | b)
BINARY(mul, T, a & b)
BINARY(maximum, T, a | b)
BINARY(minimum, T, a & b)
BINARY(bitwise_and, T, a & b)
BINARY(bitwise_or, T, a | b)
BINARY(bitwise_xor, T, a ^ b)
#else
BINARY(add, T, a + b)
BINARY(sub, T, a - b)
BINARY(mul, T, a * b)
BINARY(pow, T, em_pow(a, b))
BINARY(maximum, T, em_max(a, b))
BINARY(minimum, T, em_min(a, b))
BINARY(floor_divide, T, em_floordiv(a, b))
BINARY(remainder, T, em_remainder(a, b))
BINARY(fmod, T, em_fmod(a, b))
BINARY(bitwise_and, T, a & b)
BINARY(bitwise_or, T, a | b)
BINARY(bitwise_xor, T, a ^ b)
BINARY(bitwise_left_shift, T, em_shl(a, b))
BINARY(bitwise_right_shift, T, em_shr(a, b))
#endif

/* ---- where(cond, a, b): operand 1 the condition, 2 and 3 the values (bits 4, 8: scalars) ---- */
__kernel void k_where(__global T *o, __global const uchar *c, __global const T *pa,
                    __global const T *pb, T sa, T sb, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        o[q.p[0]] = c[q.p[1]] ? ((g.smask & 4) ? sa : pa[q.p[2]])
                              : ((g.smask & 8) ? sb : pb[q.p[3]]);
    }
}

/* ---- creation ---- */
__kernel void k_fill(__global T *o, T v, geom_t g) {
    ITEM(i, g.n) { o[locate(&g, i).p[0]] = v; }
}

/* start + i * step in the widest type of T's kind (NumPy computes arange that way too) */
__kernel void k_arange(__global T *o, ACC_T start, ACC_T step, int n) {
    ITEM(i, n) { o[i] = (T)(start + (ACC_T)i * step); }
}

/* ---- casts from T (copy_, contiguous and astype are all casts, strided on both sides) ---- */
#define CAST(dst_name, OT, expr) UNARY(cast_##dst_name, OT, expr)
#ifdef IS_FLOAT
#define TO_SMALL_INT(OT) (OT)(long)x  /* via long: negative floats wrap like NumPy's uint8 */
#else
#define TO_SMALL_INT(OT) (OT)x
#endif
CAST(bool, uchar, x != 0)
CAST(uint8, uchar, TO_SMALL_INT(uchar))
CAST(int8, char, TO_SMALL_INT(char))
CAST(int16, short, TO_SMALL_INT(short))
CAST(int32, int, x)
CAST(int64, long, x)
CAST(float32, float, x)
CAST(complex64, float2, (float2)((float)x, 0))
__kernel void k_cast_float16(__global half *o, __global const T *a, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        vstore_half((float)a[q.p[1]], q.p[0], o);  /* round to nearest even */
    }
}
#ifdef HAS_FP64
CAST(float64, double, x)
CAST(complex128, double2, (double2)((double)x, 0))
#endif
