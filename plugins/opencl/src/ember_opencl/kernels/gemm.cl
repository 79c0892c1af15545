/* Batched GEMM C[z] = A[z] @ B[z] with arbitrary row/column strides for A and B (transposed
 * views need no copy) and a contiguous C. Each work-group of RTS x RTS work-items computes a
 * TSM x TSN tile of C from TSK-deep tiles of A and B staged in local memory; each work-item
 * accumulates a WPT x WPT block in registers. */

#define TSM 64
#define TSN 64
#define TSK 16
#define WPT 4
#define RTS 16  /* TSM / WPT: the work-group is RTS x RTS */

typedef struct {
    int M, N, K, pad;
    int a_off, a_bs, a_rs, a_cs;
    int b_off, b_bs, b_rs, b_cs;
} mgeom_t;

__kernel __attribute__((reqd_work_group_size(RTS, RTS, 1)))
void k_gemm(__global T *C, __global const T *A, __global const T *B, mgeom_t g) {
    const int lc = get_local_id(0), lr = get_local_id(1), tid = lr * RTS + lc;
    const int col0 = get_group_id(0) * TSN, row0 = get_group_id(1) * TSM, z = get_global_id(2);
    __global const T *a = A + g.a_off + z * g.a_bs;
    __global const T *b = B + g.b_off + z * g.b_bs;
    __local T As[TSK][TSM];
    __local T Bs[TSK][TSN];
    T acc[WPT][WPT];
    for (int i = 0; i < WPT; ++i)
        for (int j = 0; j < WPT; ++j) acc[i][j] = 0;

    for (int t = 0; t < g.K; t += TSK) {
        for (int e = tid; e < TSK * TSM; e += RTS * RTS) {
            int m = e % TSM, k = e / TSM;
            As[k][m] = (row0 + m < g.M && t + k < g.K) ? a[(row0 + m) * g.a_rs + (t + k) * g.a_cs]
                                                       : (T)0;
            int n = e % TSN, kb = e / TSN;
            Bs[kb][n] = (t + kb < g.K && col0 + n < g.N) ? b[(t + kb) * g.b_rs + (col0 + n) * g.b_cs]
                                                         : (T)0;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TSK; ++k) {
            T ar[WPT], br[WPT];
            for (int i = 0; i < WPT; ++i) ar[i] = As[k][lr + i * RTS];
            for (int j = 0; j < WPT; ++j) br[j] = Bs[k][lc + j * RTS];
            for (int i = 0; i < WPT; ++i)
                for (int j = 0; j < WPT; ++j) acc[i][j] += ar[i] * br[j];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    __global T *c = C + z * g.M * g.N;
    for (int i = 0; i < WPT; ++i) {
        int row = row0 + lr + i * RTS;
        for (int j = 0; j < WPT; ++j) {
            int col = col0 + lc + j * RTS;
            if (row < g.M && col < g.N) c[row * g.N + col] = acc[i][j];
        }
    }
}

/* The same product with 16 x 16 tiles and one output per work-item: for skinny outputs (a
 * dimension under 64), where the big tiles would mostly compute padding. */
#define TS 16

__kernel __attribute__((reqd_work_group_size(TS, TS, 1)))
void k_gemm_small(__global T *C, __global const T *A, __global const T *B, mgeom_t g) {
    const int lc = get_local_id(0), lr = get_local_id(1);
    const int col = get_global_id(0), row = get_global_id(1), z = get_global_id(2);
    __global const T *a = A + g.a_off + z * g.a_bs;
    __global const T *b = B + g.b_off + z * g.b_bs;
    __local T As[TS][TS];
    __local T Bs[TS][TS];
    T acc = 0;
    for (int t = 0; t < g.K; t += TS) {
        As[lr][lc] = (row < g.M && t + lc < g.K) ? a[row * g.a_rs + (t + lc) * g.a_cs] : (T)0;
        Bs[lr][lc] = (t + lr < g.K && col < g.N) ? b[(t + lr) * g.b_rs + col * g.b_cs] : (T)0;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TS; ++k) acc += As[lr][k] * Bs[k][lc];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (row < g.M && col < g.N) C[z * g.M * g.N + row * g.N + col] = acc;
}

/* For CPU drivers (pocl…): no local memory and no barriers, which such drivers run slowly;
 * each work-item computes a RB x CB block straight from global memory (the CPU caches do the
 * tiling), with plain unit-stride loads of B's row when B's columns are contiguous. About 4x
 * the tiled kernel's speed on pocl. */
#define RB 4
#define CB 8

__kernel void k_gemm_rows(__global T *C, __global const T *A, __global const T *B, mgeom_t g) {
    const int col = get_global_id(0) * CB, row = get_global_id(1) * RB, z = get_global_id(2);
    if (col >= g.N || row >= g.M) return;
    __global const T *a = A + g.a_off + z * g.a_bs;
    __global const T *b = B + g.b_off + z * g.b_bs;
    T acc[RB][CB];
    for (int i = 0; i < RB; ++i)
        for (int j = 0; j < CB; ++j) acc[i][j] = 0;
    const int full = col + CB <= g.N && g.b_cs == 1;
    for (int k = 0; k < g.K; ++k) {
        T ar[RB], br[CB];
        for (int i = 0; i < RB; ++i)
            ar[i] = row + i < g.M ? a[(row + i) * g.a_rs + k * g.a_cs] : (T)0;
        if (full) {
            for (int j = 0; j < CB; ++j) br[j] = b[k * g.b_rs + col + j];
        } else {
            for (int j = 0; j < CB; ++j)
                br[j] = col + j < g.N ? b[k * g.b_rs + (col + j) * g.b_cs] : (T)0;
        }
        for (int i = 0; i < RB; ++i)
            for (int j = 0; j < CB; ++j) acc[i][j] += ar[i] * br[j];
    }
    __global T *c = C + z * g.M * g.N;
    for (int i = 0; i < RB; ++i)
        for (int j = 0; j < CB; ++j)
            if (row + i < g.M && col + j < g.N) c[(row + i) * g.N + col + j] = acc[i][j];
}
