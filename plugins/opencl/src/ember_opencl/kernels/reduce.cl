/* Reductions, scans and sort for one element type T.
 *
 * A reduction sees its input as (kept dims) x (reduced dims): the host permutes the reduced axes
 * last and passes both groups' shapes and strides. Either each work-group reduces one output
 * (long rows: a local-memory tree) or, for short rows, each work-item reduces one output alone.
 * Scans and sort work line by line along one axis, one work-item per line. */

#define RWG 128  /* must equal the host's work-group size for these kernels (reduction.py) */

#ifdef IS_FLOAT
typedef T acc_t;  /* sum/prod of bool and integers accumulate in int64, like PyTorch */
#else
typedef long acc_t;
#endif

inline acc_t c_add(acc_t a, acc_t b) { return a + b; }
inline acc_t c_mul(acc_t a, acc_t b) { return a * b; }
inline T c_max(T a, T b) { return em_max(a, b); }
inline T c_min(T a, T b) { return em_min(a, b); }

typedef struct { T v; int i; } vi_t;

/* the better of two (value, index) pairs: NaN beats numbers, the first index breaks ties */
inline vi_t pick(vi_t a, vi_t b, int want_max) {
#ifdef IS_FLOAT
    int an = isnan(a.v), bn = isnan(b.v);
    if (an || bn) {
        if (an && bn) return a.i < b.i ? a : b;
        return an ? a : b;
    }
#endif
    if (a.v != b.v) return (want_max ? a.v > b.v : a.v < b.v) ? a : b;
    return a.i < b.i ? a : b;
}
inline vi_t c_argmax(vi_t a, vi_t b) { return pick(a, b, 1); }
inline vi_t c_argmin(vi_t a, vi_t b) { return pick(a, b, 0); }

#define LOAD_VALUE(v, j) (v)
#define LOAD_PAIR(v, j) ((vi_t){(v), (j)})
#define FINISH_VALUE(a) (a)
#define FINISH_INDEX(a) ((long)(a).i)

#define REDUCE(name, AT, OT, INIT, LOAD, COMBINE, FINISH) \
__kernel void k_##name(__global OT *o, __global const T *x, rgeom_t g) { \
    __local AT scratch[RWG]; \
    int lid = get_local_id(0); \
    if (g.per_thread) { \
        ITEM(oi, g.nout) { \
            int base = g.off + strided_offset(oi, g.nk, g.kshape, g.kst); \
            AT acc = INIT; \
            for (int j = 0; j < g.R; ++j) \
                acc = COMBINE(acc, LOAD(x[base + strided_offset(j, g.nr, g.rshape, g.rst)], j)); \
            o[oi] = FINISH(acc); \
        } \
        return; \
    } \
    for (int oi = get_group_id(0); oi < g.nout; oi += get_num_groups(0)) { \
        int base = g.off + strided_offset(oi, g.nk, g.kshape, g.kst); \
        AT acc = INIT; \
        for (int j = lid; j < g.R; j += RWG) \
            acc = COMBINE(acc, LOAD(x[base + strided_offset(j, g.nr, g.rshape, g.rst)], j)); \
        scratch[lid] = acc; \
        barrier(CLK_LOCAL_MEM_FENCE); \
        for (int s = RWG / 2; s > 0; s >>= 1) { \
            if (lid < s) scratch[lid] = COMBINE(scratch[lid], scratch[lid + s]); \
            barrier(CLK_LOCAL_MEM_FENCE); \
        } \
        if (lid == 0) o[oi] = FINISH(scratch[0]); \
        barrier(CLK_LOCAL_MEM_FENCE); \
    } \
}

REDUCE(sum, acc_t, acc_t, 0, LOAD_VALUE, c_add, FINISH_VALUE)
REDUCE(prod, acc_t, acc_t, 1, LOAD_VALUE, c_mul, FINISH_VALUE)
REDUCE(amax, T, T, T_LOWEST, LOAD_VALUE, c_max, FINISH_VALUE)
REDUCE(amin, T, T, T_HIGHEST, LOAD_VALUE, c_min, FINISH_VALUE)
REDUCE(argmax, vi_t, long, ((vi_t){T_LOWEST, INT_MAX}), LOAD_PAIR, c_argmax, FINISH_INDEX)
REDUCE(argmin, vi_t, long, ((vi_t){T_HIGHEST, INT_MAX}), LOAD_PAIR, c_argmin, FINISH_INDEX)

/* ---- scans: one work-item per line ---- */
#define SCAN(name, OT, INIT, COMBINE) \
__kernel void k_##name(__global OT *o, __global const T *x, lgeom_t g) { \
    ITEM(line, g.nlines) { \
        int xb = g.off + strided_offset(line, g.nk, g.kshape, g.kst); \
        int ob = strided_offset(line, g.nk, g.kshape, g.kost); \
        OT acc = INIT; \
        for (int k = 0; k < g.L; ++k) { \
            acc = COMBINE(acc, (OT)x[xb + k * g.lst]); \
            o[ob + k * g.lost] = acc; \
        } \
    } \
}

SCAN(cumsum, acc_t, 0, c_add)
SCAN(cumprod, acc_t, 1, c_mul)

/* ---- sort: a stable bottom-up merge sort per line, in two scratch buffers ---- */
inline int before(T a, T b, int descending) {
#ifdef IS_FLOAT  /* NaN is the largest value: last ascending, first descending */
    if (descending) return (isnan(a) && !isnan(b)) || a > b;
    return !isnan(a) && (isnan(b) || a < b);
#else
    return descending ? a > b : a < b;
#endif
}

__kernel void k_sort(__global T *vals, __global long *idx, __global T *av, __global int *ai,
                   __global T *bv, __global int *bi, __global const T *x, lgeom_t g,
                   int descending) {
    ITEM(line, g.nlines) {
        int xb = g.off + strided_offset(line, g.nk, g.kshape, g.kst);
        int ob = strided_offset(line, g.nk, g.kshape, g.kost);
        int L = g.L, sb = line * L;
        __global T *sv = av + sb, *dv = bv + sb, *tv;
        __global int *si = ai + sb, *di = bi + sb, *ti;
        for (int k = 0; k < L; ++k) {
            sv[k] = x[xb + k * g.lst];
            si[k] = k;
        }
        for (int w = 1; w < L; w *= 2) {
            for (int lo = 0; lo < L; lo += 2 * w) {
                int mid = min(lo + w, L), hi = min(lo + 2 * w, L);
                int i = lo, j = mid, k = lo;
                while (i < mid && j < hi) {
                    if (before(sv[j], sv[i], descending)) { dv[k] = sv[j]; di[k++] = si[j++]; }
                    else { dv[k] = sv[i]; di[k++] = si[i++]; }
                }
                while (i < mid) { dv[k] = sv[i]; di[k++] = si[i++]; }
                while (j < hi) { dv[k] = sv[j]; di[k++] = si[j++]; }
            }
            tv = sv; sv = dv; dv = tv;
            ti = si; si = di; di = ti;
        }
        for (int k = 0; k < L; ++k) {
            vals[ob + k * g.lost] = sv[k];
            idx[ob + k * g.lost] = si[k];
        }
    }
}
