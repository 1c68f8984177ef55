#!/usr/bin/env bash
# Compares DynChan's inference latency with PyTorch eager (Debian python3-torch) on the same machine, in one run:
# the two are measured alternately ROUNDS times so that machine drift hits both, and the medians of the per-round
# medians are reported.  Usage: tools/bench/vs_torch.sh MODEL BATCH [THREADS] [ROUNDS] [ITERATIONS] [WARMUP]
# (WARMUP forwards, default 200, for both sides alike; the JVM needs a few hundred before its JIT stops compiling)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1; batch=$2; threads=${3:-2}; rounds=${4:-3}; iters=${5:-20}; warmup=${6:-200}
java_ms=(); torch_ms=()
for r in $(seq "$rounds"); do
  j=$(./dynchan bench --model "$model" --batch "$batch" --threads "$threads" --iterations "$iters" --warmup "$warmup" --warmup-seconds 0 --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["median_ms"])')
  t=$(/usr/bin/python3 tools/bench/torch_bench.py --model "$model" --batch "$batch" --threads "$threads" \
      --iterations "$iters" --warmup "$warmup" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])')
  echo "round $r: dynchan ${j} ms, pytorch ${t} ms" >&2
  java_ms+=("$j"); torch_ms+=("$t")
done
python3 - "$model" "$batch" "$threads" "${java_ms[*]}" "${torch_ms[*]}" <<'PY'
import statistics, sys
model, batch, threads = sys.argv[1:4]
j = [float(v) for v in sys.argv[4].split()]; t = [float(v) for v in sys.argv[5].split()]
mj, mt = statistics.median(j), statistics.median(t)
print(f"{model} batch {batch}, {threads} threads: dynchan {mj:.2f} ms, pytorch eager {mt:.2f} ms, "
      f"speed-up {mt / mj:.2f}x (rounds: dynchan {j}, pytorch {t})")
PY
