/* Shared by every ember program: the strided-geometry structs and how a work-item finds its
 * elements. A program is compiled with T (the element type) and IS_FLOAT / IS_BOOL / IS_SIGNED /
 * IS_COMPLEX / IS_HALF, HAS_FP64, HAS_INT64_ATOMICS defined by the host (dtypes.py, runtime.py);
 * shapes, strides and offsets are kernel arguments, never compiled in, so one build serves
 * every shape. */

#ifdef HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif

#define MAXD 8  /* the most dimensions a kernel sees after the host merged adjacent ones */

/* Up to four operands (0: the output, 1-3: inputs) walked in the same logical order.
 * smask bit k set: operand k is a scalar argument, not an array. */
typedef struct {
    int ndim, n, smask, pad;
    int shape[MAXD];
    int st[4][MAXD];
    int off[4];
} geom_t;

/* Reductions (reduce.cl, norm statistics): nout outputs over the kept dims (kshape, kst), each
 * reducing R elements over the reduced dims (rshape, rst); per_thread: one work-item per
 * output, else one work-group per output. */
typedef struct {
    int nk, nr, nout, R, per_thread, off, pad[2];
    int kshape[MAXD], kst[MAXD], rshape[MAXD], rst[MAXD];
} rgeom_t;

/* Line-wise kernels (scans, sort, softmax): nlines lines of L elements along one axis, the
 * lines laid out over the kept dims (kshape) with input strides kst and output strides kost. */
typedef struct {
    int nk, nlines, L, lst, lost, off, pad[2];
    int kshape[MAXD], kst[MAXD], kost[MAXD];
} lgeom_t;

/* The storage positions of logical element i in each operand. */
typedef struct { int p[4]; } pos_t;

inline pos_t locate(const geom_t *g, int i) {
    pos_t r;
    r.p[0] = g->off[0]; r.p[1] = g->off[1]; r.p[2] = g->off[2]; r.p[3] = g->off[3];
    if (g->ndim == 1) {  /* the common case after merging dims: no divisions */
        r.p[0] += i * g->st[0][0]; r.p[1] += i * g->st[1][0];
        r.p[2] += i * g->st[2][0]; r.p[3] += i * g->st[3][0];
        return r;
    }
    int rest = i;
    for (int d = g->ndim - 1; d >= 0; --d) {
        int c = rest % g->shape[d];
        rest /= g->shape[d];
        r.p[0] += c * g->st[0][d]; r.p[1] += c * g->st[1][d];
        r.p[2] += c * g->st[2][d]; r.p[3] += c * g->st[3][d];
    }
    return r;
}

/* An index decomposed over (shape, strides) of nd dims: the storage offset it lands on. */
inline int strided_offset(int i, int nd, const int *shape, const int *st) {
    int off = 0;
    for (int d = nd - 1; d >= 0; --d) {
        int c = i % shape[d];
        i /= shape[d];
        off += c * st[d];
    }
    return off;
}

/* One work-item per item: `ITEM(i, n) { body }` runs body for work-item i < n. (Not a
 * grid-stride loop: CPU drivers vectorise straight-line work-items several times better.) */
#define ITEM(i, n) const int i = get_global_id(0); if (i < (n))
