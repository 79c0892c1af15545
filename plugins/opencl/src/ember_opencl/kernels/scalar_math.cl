/* Scalar helpers with NumPy's semantics where OpenCL C differs (NaN-propagating max/min, Python's
 * floor division and remainder, integer division by zero gives 0 instead of trapping) and the
 * special functions OpenCL C lacks (erfinv, digamma). Compiled once per element type T. */

#if defined(IS_COMPLEX) || defined(IS_HALF)  /* complex.cl has its own; half.cl needs none */
#elif defined(IS_FLOAT)
#define PI_T ((T)3.14159265358979323846)

inline T em_max(T a, T b) { return (isnan(a) || a > b) ? a : b; }
inline T em_min(T a, T b) { return (isnan(a) || a < b) ? a : b; }
inline T em_sign(T x) { return x > 0 ? (T)1 : (x < 0 ? (T)-1 : x); }

/* NumPy's npy_divmod: floor division that agrees with em_remainder, a / 0 gives ±inf or NaN */
inline T em_floordiv(T a, T b) {
    if (b == 0) return a / b;
    T mod = fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign((T)0, a / b);
    T fl = floor(div);
    if (div - fl > (T)0.5) fl += 1;
    return fl;
}

/* Python's remainder: the sign of the divisor */
inline T em_remainder(T a, T b) {
    if (b == 0) return fmod(a, b);
    T mod = fmod(a, b);
    if (mod != 0) {
        if ((b < 0) != (mod < 0)) mod += b;
    } else {
        mod = copysign((T)0, b);
    }
    return mod;
}

/* Giles' single-precision approximation ("Approximating the erfinv function", 2010) refined by
 * two Newton steps on erf, which brings float64 to full precision */
inline T em_erfinv(T y) {
    if (isnan(y) || y < -1 || y > 1) return NAN;
    if (y == 1) return INFINITY;
    if (y == -1) return -INFINITY;
    T w = -log((1 - y) * (1 + y));
    T p;
    if (w < 5) {
        w -= (T)2.5;
        p = (T)2.81022636e-08;
        p = (T)3.43273939e-07 + p * w;
        p = (T)-3.5233877e-06 + p * w;
        p = (T)-4.39150654e-06 + p * w;
        p = (T)0.00021858087 + p * w;
        p = (T)-0.00125372503 + p * w;
        p = (T)-0.00417768164 + p * w;
        p = (T)0.246640727 + p * w;
        p = (T)1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3;
        p = (T)-0.000200214257;
        p = (T)0.000100950558 + p * w;
        p = (T)0.00134934322 + p * w;
        p = (T)-0.00367342844 + p * w;
        p = (T)0.00573950773 + p * w;
        p = (T)-0.0076224613 + p * w;
        p = (T)0.00943887047 + p * w;
        p = (T)1.00167406 + p * w;
        p = (T)2.83297682 + p * w;
    }
    T x = p * y;
    for (int k = 0; k < 2; ++k) {
        T err = erf(x) - y;
        x -= err / ((T)1.1283791670955126 * exp(-x * x));
    }
    return x;
}

/* psi(x): reflection below 0, recurrence up to x >= 12, then the asymptotic series */
inline T em_digamma(T x) {
    if (x <= 0 && x == floor(x)) return NAN;
    T res = 0;
    if (x < 0) {
        res = -PI_T / tan(PI_T * x);
        x = 1 - x;
    }
    while (x < 12) {
        res -= 1 / x;
        x += 1;
    }
    T f = 1 / (x * x);
    T tail = f * ((T)(1.0 / 12) - f * ((T)(1.0 / 120) - f * ((T)(1.0 / 252) - f * ((T)(1.0 / 240)
             - f * ((T)(1.0 / 132) - f * ((T)(691.0 / 32760) - f / 12))))));
    return res + log(x) - (T)0.5 / x - tail;
}

#else  /* integers and bool */

inline T em_max(T a, T b) { return a > b ? a : b; }
inline T em_min(T a, T b) { return a < b ? a : b; }
inline T em_sign(T x) { return (T)((x > 0) - (x < 0)); }

/* b == -1 is special-cased: INT_MIN / -1 traps on x86 */
inline T em_floordiv(T a, T b) {
    if (b == 0) return 0;
    if (b == (T)-1 && IS_SIGNED) return (T)(-a);
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}

inline T em_remainder(T a, T b) {
    if (b == 0 || (b == (T)-1 && IS_SIGNED)) return 0;
    T r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

inline T em_fmod(T a, T b) {
    if (b == 0 || (b == (T)-1 && IS_SIGNED)) return 0;
    return a % b;
}

inline T em_pow(T a, T b) {
    if (b < 0) return a == 1 ? (T)1 : (a == (T)-1 ? ((b & 1) ? (T)-1 : (T)1) : (T)0);
    T r = 1;
    while (b) {
        if (b & 1) r *= a;
        a *= a;
        b >>= 1;
    }
    return r;
}

inline T em_shl(T a, T b) { return (b < 0 || b >= T_BITS) ? (T)0 : (T)(a << b); }
inline T em_shr(T a, T b) {
    return (b < 0 || b >= T_BITS) ? (a < 0 ? (T)-1 : (T)0) : (T)(a >> b);
}
#endif
