#!/usr/bin/env bash
# Long fuzz run of the weights readers (torch.save zip/legacy and safetensors): N mutants (default 10,000) of the
# valid fixtures, each loaded once; fails on any crash, hang (> 2 s), allocation over 64 MiB or malformed error.
# The default test suite runs the same test with 300 mutants.
#   tools/fuzz/run.sh [N] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-10000}"
seed="${2:-20261201}"
mvn -B -q test -Dtest=WeightsFuzzTest -Ddynchan.fuzz="$n" -Ddynchan.fuzz.seed="$seed" -Dsurefire.failIfNoSpecifiedTests=false
echo "report: target/fuzz-report.txt"
