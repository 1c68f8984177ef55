/* fp32 FMA peak with 256-bit AVX2 FMAs, one thread per core: the machine-limit anchor on CPUs without AVX-512
 * (../shared/tools/peak-flops needs AVX-512). Build and run: tools/bench/peak-avx2.sh [THREADS] */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#include <omp.h>
int main(void) {
  double total = 0;
  #pragma omp parallel reduction(+:total)
  {
    __m256 acc[12];
    __m256 mul = _mm256_set1_ps(1.0000001f), add = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float) i);
    long n = 300000000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long k = 0; k < n; k++)
      for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], mul, add);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    float sink = 0;
    float lanes[8];
    for (int i = 0; i < 12; i++) { _mm256_storeu_ps(lanes, acc[i]); for (int l = 0; l < 8; l++) sink += lanes[l]; }
    double g = n * 12.0 * 16 / s / 1e9;
    if (sink == 42) g = 0;
    #pragma omp critical
    printf("thread %d: %.1f GFLOP/s\n", omp_get_thread_num(), g);
    total = g;
  }
  printf("total: %.1f GFLOP/s\n", total);
  return 0;
}
