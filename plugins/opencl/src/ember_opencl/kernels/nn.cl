/* Fast paths for neural-network ops, for one floating type T: softmax / log_softmax along a
 * line, fused cross-entropy (forward per row, backward per element), im2col / col2im for
 * convolutions (up to 3 spatial dims) and max pooling with PyTorch's indices. */

/* ---- softmax and log_softmax: one work-item per line ---- */
inline T line_max(__global const T *x, int L, int st) {
    T m = -INFINITY;
    for (int k = 0; k < L; ++k) m = em_max(m, x[k * st]);
    return isfinite(m) ? m : (T)0;  /* rows of -inf/inf/NaN: shift by 0, like the CPU */
}

__kernel void k_softmax(__global T *o, __global const T *x, lgeom_t g, int take_log) {
    ITEM(line, g.nlines) {
        __global const T *xl = x + g.off + strided_offset(line, g.nk, g.kshape, g.kst);
        __global T *ol = o + strided_offset(line, g.nk, g.kshape, g.kost);
        T m = line_max(xl, g.L, g.lst), s = 0;
        for (int k = 0; k < g.L; ++k) s += exp(xl[k * g.lst] - m);
        if (take_log) {
            T ls = log(s);
            for (int k = 0; k < g.L; ++k) ol[k * g.lost] = xl[k * g.lst] - m - ls;
        } else {
            for (int k = 0; k < g.L; ++k) ol[k * g.lost] = exp(xl[k * g.lst] - m) / s;
        }
    }
}

/* ---- cross-entropy over (M, C) logits (row stride xr, column stride xc) ---- */
__kernel void k_cross_entropy(__global T *loss, __global T *lse_out, __global T *w_t_out,
                              __global long *bad, __global const T *x, int x_off, int xr, int xc,
                              __global const long *target, int t_off, int t_st,
                              __global const T *weight, int has_weight, int M, int C,
                              long ignore_index, T eps) {
    ITEM(i, M) {
        __global const T *row = x + x_off + i * xr;
        long t = target[t_off + i * t_st];
        int valid = t != ignore_index;
        if (valid && (t < 0 || t >= C)) {
            bad[0] = 1;
            bad[1] = t;
            valid = 0;
        }
        T m = line_max(row, C, xc), s = 0;
        for (int j = 0; j < C; ++j) s += exp(row[j * xc] - m);
        T lse = log(s) + m;
        lse_out[i] = lse;
        int ti = valid ? (int)t : 0;
        T w_t = valid ? (has_weight ? weight[ti] : (T)1) : (T)0;
        w_t_out[i] = w_t;
        T l = -w_t * (row[ti * xc] - lse);
        if (eps > 0) {
            T smooth = 0;
            for (int j = 0; j < C; ++j)
                smooth += (has_weight ? weight[j] : (T)1) * (row[j * xc] - lse);
            l = (1 - eps) * l - smooth * (eps / C);
        }
        loss[i] = valid ? l : (T)0;
    }
}

/* d(sum_i coef_i loss_i)/dx_ij = coef_i (mass_i softmax_ij - q_ij); coef (the upstream
 * gradient) has stride g_st; wsum: the sum of the class weights (C without weights) */
__kernel void k_cross_entropy_backward(__global T *dx, __global const T *x, int x_off, int xr,
                                       int xc, __global const T *lse,
                                       __global const long *target, int t_off, int t_st,
                                       __global const T *weight, int has_weight,
                                       __global const T *coef, int g_off, int g_st, T wsum,
                                       int M, int C, long ignore_index, T eps) {
    ITEM(e, M * C) {
        int i = e / C, j = e % C;
        long t = target[t_off + i * t_st];
        int valid = t != ignore_index;
        T c = valid ? coef[g_off + i * g_st] : (T)0;
        int ti = valid ? (int)t : 0;
        T w_t = has_weight ? weight[ti] : (T)1;
        T w_j = has_weight ? weight[j] : (T)1;
        T mass = (1 - eps) * w_t + (eps / C) * wsum;
        T p = exp(x[x_off + i * xr + j * xc] - lse[i]) * (c * mass);
        if (j == ti) p -= c * (1 - eps) * w_t;
        if (eps > 0) p -= c * (eps / C) * w_j;
        dx[e] = p;
    }
}

/* ---- convolution geometry: up to 3 spatial dims, (N, C, *s) input of any strides ---- */
typedef struct {
    int sd, N, C, G, Cg, K, L, x_off;
    int xs[5];       /* strides of x: n, c, spatial... */
    int in[3], k[3], o[3], stride[3], lo[3], dil[3];
} cgeom_t;

/* channel-major columns (G, Cg*K, N*L), zeros where a tap falls in the padding */
__kernel void k_im2col(__global T *cols, __global const T *x, cgeom_t g) {
    int nl = g.N * g.L;
    ITEM(e, g.G * g.Cg * g.K * nl) {
        int col = e % nl, row = e / nl;
        int n = col / g.L, l = col % g.L;
        int kidx = row % g.K, c = row / g.K;  /* c = group * Cg + cg */
        int pos = g.x_off + n * g.xs[0] + c * g.xs[1];
        int inside = 1;
        for (int d = g.sd - 1; d >= 0; --d) {
            int od = l % g.o[d], kd = kidx % g.k[d];
            l /= g.o[d];
            kidx /= g.k[d];
            int p = od * g.stride[d] - g.lo[d] + kd * g.dil[d];
            inside &= (p >= 0) & (p < g.in[d]);
            pos += p * g.xs[2 + d];
        }
        cols[e] = inside ? x[pos] : (T)0;
    }
}

/* the adjoint of im2col: each input element (N, C, *in) gathers the columns of the taps that
 * read it (no atomics, a fixed summation order) */
__kernel void k_col2im(__global T *img, __global const T *cols, cgeom_t g) {
    int plane = 1;
    for (int d = 0; d < g.sd; ++d) plane *= g.in[d];
    int nl = g.N * g.L;
    ITEM(e, g.N * g.C * plane) {
        int q = e % plane, nc = e / plane;
        int c = nc % g.C, n = nc / g.C;
        int coord[3];
        for (int d = g.sd - 1; d >= 0; --d) { coord[d] = q % g.in[d]; q /= g.in[d]; }
        T acc = 0;
        for (int kidx = 0; kidx < g.K; ++kidx) {
            int rest = kidx, l = 0, lmul = 1, ok = 1;
            for (int d = g.sd - 1; d >= 0; --d) {
                int kd = rest % g.k[d];
                rest /= g.k[d];
                int num = coord[d] + g.lo[d] - kd * g.dil[d];
                int od = num / g.stride[d];
                ok &= (num >= 0) & (num % g.stride[d] == 0) & (od < g.o[d]);
                l += od * lmul;
                lmul *= g.o[d];
            }
            if (ok) acc += cols[(c * g.K + kidx) * nl + n * g.L + l];
        }
        img[e] = acc;
    }
}

/* max pooling: the first maximum of each window (NaN wins), and its flat index in the input
 * plane; taps in the padding are skipped (PyTorch pads with -inf) */
__kernel void k_max_pool(__global T *vals, __global long *idx, __global const T *x, cgeom_t g) {
    ITEM(e, g.N * g.C * g.L) {
        int l = e % g.L, nc = e / g.L;
        int c = nc % g.C, n = nc / g.C;
        T best = -INFINITY;
        long best_at = -1;
        for (int kidx = 0; kidx < g.K; ++kidx) {
            int rest_k = kidx, rest_l = l, pos = g.x_off + n * g.xs[0] + c * g.xs[1];
            int flat = 0, mul = 1, ok = 1;
            for (int d = g.sd - 1; d >= 0; --d) {
                int kd = rest_k % g.k[d], od = rest_l % g.o[d];
                rest_k /= g.k[d];
                rest_l /= g.o[d];
                int p = od * g.stride[d] - g.lo[d] + kd * g.dil[d];
                ok &= (p >= 0) & (p < g.in[d]);
                pos += p * g.xs[2 + d];
                flat += p * mul;
                mul *= g.in[d];
            }
            if (!ok) continue;
            T v = x[pos];
            if (best_at < 0 || (isnan(v) && !isnan(best)) || v > best) {
                best = v;
                best_at = flat;
            }
        }
        vals[e] = best;
        idx[e] = best_at;
    }
}

/* ---- normalisation (batch/layer/group/instance norm): statistics over the reduced dims ---- */
#define NWG 128  /* the work-group size of k_norm_stats in group mode (the host's too) */

/* mean, biased variance and 1/sqrt(var + eps) per output; two passes over the elements (the
 * variance from deviations, not from E[x^2] - E[x]^2, which cancels badly) */
__kernel void k_norm_stats(__global T *mean, __global T *invstd, __global T *var,
                           __global const T *x, rgeom_t g, T eps) {
    if (g.per_thread) {
        ITEM(oi, g.nout) {
            int base = g.off + strided_offset(oi, g.nk, g.kshape, g.kst);
            T s = 0, ss = 0;
            for (int j = 0; j < g.R; ++j) s += x[base + strided_offset(j, g.nr, g.rshape, g.rst)];
            T m = s / g.R;
            for (int j = 0; j < g.R; ++j) {
                T d = x[base + strided_offset(j, g.nr, g.rshape, g.rst)] - m;
                ss += d * d;
            }
            mean[oi] = m;
            var[oi] = ss / g.R;
            invstd[oi] = 1 / sqrt(ss / g.R + eps);
        }
        return;
    }
    __local T part[NWG];
    int lid = get_local_id(0);
    for (int oi = get_group_id(0); oi < g.nout; oi += get_num_groups(0)) {
        int base = g.off + strided_offset(oi, g.nk, g.kshape, g.kst);
        T s = 0;
        for (int j = lid; j < g.R; j += NWG) s += x[base + strided_offset(j, g.nr, g.rshape, g.rst)];
        part[lid] = s;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int h = NWG / 2; h > 0; h >>= 1) {
            if (lid < h) part[lid] += part[lid + h];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        T m = part[0] / g.R;
        barrier(CLK_LOCAL_MEM_FENCE);
        T ss = 0;
        for (int j = lid; j < g.R; j += NWG) {
            T d = x[base + strided_offset(j, g.nr, g.rshape, g.rst)] - m;
            ss += d * d;
        }
        part[lid] = ss;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int h = NWG / 2; h > 0; h >>= 1) {
            if (lid < h) part[lid] += part[lid + h];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid == 0) {
            mean[oi] = m;
            var[oi] = part[0] / g.R;
            invstd[oi] = 1 / sqrt(part[0] / g.R + eps);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

/* out = (x - mean) * invstd: operands 1-3 are x, mean and invstd (broadcast) */
__kernel void k_norm_apply(__global T *o, __global const T *x, __global const T *mean,
                           __global const T *invstd, geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        o[q.p[0]] = (x[q.p[1]] - mean[q.p[2]]) * invstd[q.p[3]];
    }
}

/* o = a * w + b in place: operand 1 is o itself, 2 and 3 the weight and bias (smask bits 4 and
 * 8: absent, then sw = 1 / sb = 0 stand in) */
__kernel void k_affine(__global T *o, __global const T *w, __global const T *b, T sw, T sb,
                       geom_t g) {
    ITEM(i, g.n) {
        pos_t q = locate(&g, i);
        T wv = (g.smask & 4) ? sw : w[q.p[2]];
        T bv = (g.smask & 8) ? sb : b[q.p[3]];
        o[q.p[0]] = o[q.p[1]] * wv + bv;
    }
}
