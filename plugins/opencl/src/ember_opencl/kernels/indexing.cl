/* Gather and scatter through a flat int64 array of storage offsets (computed on the device by
 * indexing.py with the elementwise kernels), and nonzero's coordinate scatter. */

/* o[i] = x[off[i]]: operand 0 the output, operand 1 the offsets */
__kernel void k_take(__global T *o, __global const T *x, __global const long *off, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        o[q.p[0]] = x[off[q.p[1]]];
    }
}

/* x[off[i]] = v[i]: operand 1 the offsets, operand 2 the values (repeated offsets: any wins) */
__kernel void k_put(__global T *x, __global const long *off, __global const T *v, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        x[off[q.p[1]]] = v[q.p[2]];
    }
}

/* x[off[i]] += v[i] with repeated offsets accumulating. Types without atomics here (8- and
 * 16-bit integers, 64-bit ones on devices without int64 atomics) run with `serial` set: one
 * work-item does all, so the plain += is race-free. */
#if defined(IS_BOOL)
inline void add_at(__global T *p, T v) { if (v) *p = 1; }
#elif defined(IS_FLOAT) && T_BITS == 32
inline void add_at(__global T *p, T v) {
    union { uint u; float f; } old, sum;
    do {
        old.f = *p;
        sum.f = old.f + v;
    } while (atomic_cmpxchg((volatile __global uint *)p, old.u, sum.u) != old.u);
}
#elif defined(IS_FLOAT) && defined(HAS_INT64_ATOMICS)
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
inline void add_at(__global T *p, T v) {
    union { ulong u; double f; } old, sum;
    do {
        old.f = *p;
        sum.f = old.f + v;
    } while (atom_cmpxchg((volatile __global ulong *)p, old.u, sum.u) != old.u);
}
#elif !defined(IS_FLOAT) && T_BITS == 32
inline void add_at(__global T *p, T v) { atomic_add((volatile __global int *)p, v); }
#elif !defined(IS_FLOAT) && T_BITS == 64 && defined(HAS_INT64_ATOMICS)
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
inline void add_at(__global T *p, T v) { atom_add((volatile __global long *)p, v); }
#else
inline void add_at(__global T *p, T v) { *p += v; }
#endif

__kernel void k_put_add(__global T *x, __global const long *off, __global const T *v, geom_t g,
                        int serial) {
    if (serial) {  /* one work-item does every item, in order */
        if (get_global_id(0) == 0) {
            for (int i = 0; i < g.n; ++i) {
                pos_t q = locate(&g, i);
                add_at(x + off[q.p[1]], v[q.p[2]]);
            }
        }
        return;
    }
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        add_at(x + off[q.p[1]], v[q.p[2]]);
    }
}

/* nonzero: flag[i] set -> row cs[i] - 1 of o holds i's coordinates over g.shape[0:g.ndim] */
__kernel void k_nonzero_coords(__global long *o, __global const long *cs,
                             __global const uchar *flag, geom_t g) {
    ITEM(i, g.n) {
        if (!flag[i]) return;
        int row = (int)cs[i] - 1, rest = i;
        for (int d = g.ndim - 1; d >= 0; --d) {
            o[row * g.ndim + d] = rest % g.shape[d];
            rest /= g.shape[d];
        }
    }
}

/* max_pool_backward: out (N*C planes of `plane` elements) += g at each plane's indices */
__kernel void k_plane_scatter_add(__global T *out, __global const T *g, __global const long *idx,
                                  int per_plane, int plane, int n, int disjoint) {
    ITEM(i, n) {
        __global T *p = out + (long)(i / per_plane) * plane + idx[i];
        if (disjoint) *p = g[i];
        else add_at(p, g[i]);
    }
}

/* negative indices wrapped by `size`; flag[0] set when one is outside [-size, size) */
__kernel void k_wrap_index(__global long *o, __global const T *a, geom_t g, long size,
                           __global int *flag) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        long v = a[q.p[1]];
        if (v < -size || v >= size) flag[0] = 1;
        o[q.p[0]] = v < 0 ? v + size : v;
    }
}
