#!/usr/bin/env bash
# The machine's fp32 FMA peak with AVX2 (for CPUs without AVX-512). usage: peak-avx2.sh [THREADS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); out=${TMPDIR:-/tmp}/dynchan-peak-avx2
gcc -O3 -mavx2 -mfma -fopenmp "$here/peak-avx2.c" -o "$out"
OMP_NUM_THREADS=${1:-$(nproc)} "$out"
