// The old Java kernel's loop (4 output channels x 3 vectors, filters read in place through four bases) in C with
// AVX2 intrinsics, accumulators in registers: what the hardware gives that loop when nothing spills, next to
// DirectConvProbe's Java numbers (docs/design/fbs.md, Kernel). One thread; prints GFLOP/s of the computed MACs.
// Usage: gcc -O3 -mavx2 -mfma tools/fbs/direct_conv.c -o /tmp/direct_conv && /tmp/direct_conv C_IN C_OUT HW
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define FMA_ROW(b, r0, r1, r2) r0 = _mm256_fmadd_ps(x0, b, r0); r1 = _mm256_fmadd_ps(x1, b, r1); r2 = _mm256_fmadd_ps(x2, b, r2)

__attribute__((noinline)) static void tile(const float *restrict x, int q, const float *restrict w, const int *wb,
                                           const int *xoff, const int *woff, int n, float *restrict acc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    for (int j = 0; j < n; j++) {
        const float *p = x + xoff[j] + q;
        int o = woff[j];
        __m256 x0 = _mm256_loadu_ps(p), x1 = _mm256_loadu_ps(p + 8), x2 = _mm256_loadu_ps(p + 16);
        __m256 b = _mm256_broadcast_ss(w + wb[0] + o);
        FMA_ROW(b, c00, c01, c02);
        b = _mm256_broadcast_ss(w + wb[1] + o);
        FMA_ROW(b, c10, c11, c12);
        b = _mm256_broadcast_ss(w + wb[2] + o);
        FMA_ROW(b, c20, c21, c22);
        b = _mm256_broadcast_ss(w + wb[3] + o);
        FMA_ROW(b, c30, c31, c32);
    }
    __m256 all[12] = {c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32};
    for (int i = 0; i < 12; i++) _mm256_storeu_ps(acc + 8 * i, all[i]);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s C_IN C_OUT HW\n", argv[0]);
        return 2;
    }
    int cin = atoi(argv[1]), cout = atoi(argv[2]), hw = atoi(argv[3]);
    int wq = hw + 1, tileLen = 24, tiles = (hw * wq + tileLen - 1) / tileLen;
    int plane = ((hw + 2) * wq + tileLen + 2 * wq + 48 + 15) / 16 * 16;
    int n = cin * 9, per = 2 * n, groups = (cout + 3) / 4;
    float *x = malloc(sizeof(float) * cin * plane), *w = malloc(sizeof(float) * (groups * 4 + 1) * per);
    int *xoff = malloc(sizeof(int) * n), *woff = malloc(sizeof(int) * n);
    for (long i = 0; i < (long) cin * plane; i++) x[i] = rand() / (float) RAND_MAX;
    for (long i = 0; i < (long) (groups * 4 + 1) * per; i++) w[i] = rand() / (float) RAND_MAX;
    for (int c = 0; c < cin; c++)
        for (int t = 0; t < 9; t++) {
            xoff[c * 9 + t] = c * plane + (t / 3) * wq + t % 3;
            woff[c * 9 + t] = 2 * c * 9 + t; // every other input channel of a twice-wider filter, as in the probe
        }
    float acc[96];
    double best = 1e9;
    for (int rep = 0; rep < 100; rep++) {
        double t0 = seconds();
        for (int g = 0; g < groups; g++) {
            int wb[4] = {4 * g * per, (4 * g + 1) * per, (4 * g + 2) * per, (4 * g + 3) * per};
            for (int tl = 0; tl < tiles; tl++) tile(x, tl * tileLen, w, wb, xoff, woff, n, acc);
        }
        double t = seconds() - t0;
        if (t < best) best = t;
    }
    double computed = 2.0 * n * groups * 4 * tiles * tileLen;
    printf("C 4x3: C_in %d C_out %d %dx%d: %.3f ms, %.1f GFLOP/s computed (check %g)\n", cin, cout, hw, hw,
           best * 1e3, computed / best / 1e9, acc[5]);
    return 0;
}
