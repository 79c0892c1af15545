/* float16 tensors are stored as `half` and only converted here (vload_half / vstore_half need no
 * cl_khr_fp16): every op on them runs in float32 (backend.py's wrapper), like NumPy's float16
 * ufuncs, and rounds its result back. This program holds the casts from half; the casts to half
 * are in elementwise.cl. */

#define FROM_HALF(dst_name, OT, expr) \
__kernel void k_cast_##dst_name(__global OT *o, __global const half *a, geom_t g) { \
    ITEM(i, g.n) { \
        pos_t q = locate(&g, i); \
        float x = vload_half(q.p[1], a); \
        o[q.p[0]] = expr; \
    } \
}

FROM_HALF(bool, uchar, x != 0)
FROM_HALF(uint8, uchar, (uchar)(long)x)
FROM_HALF(int8, char, (char)(long)x)
FROM_HALF(int16, short, (short)(long)x)
FROM_HALF(int32, int, (int)x)
FROM_HALF(int64, long, (long)x)
FROM_HALF(float32, float, x)
#ifdef HAS_FP64
FROM_HALF(float64, double, (double)x)
#endif

__kernel void k_cast_float16(__global half *o, __global const half *a, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        vstore_half(vload_half(q.p[1], a), q.p[0], o);
    }
}
