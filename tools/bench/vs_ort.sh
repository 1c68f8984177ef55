#!/usr/bin/env bash
# DynChan vs ONNX Runtime for Java on the same architecture, in one run: `./dynchan bench --json` and
# ../shared/tools/ort-bench/run.sh (ORT 1.22, all optimisations, its own process) alternate ROUNDS times, each side
# reporting its median of ITERATIONS timed calls after warm-up; every round is printed, then the medians of the
# per-round medians and their ratio.
# Usage: tools/bench/vs_ort.sh DYNCHAN_MODEL ONNX_FILE BATCH [THREADS] [ROUNDS] [ITERATIONS]
# ONNX files made by PyTorch from the reference models: /usr/bin/python3 tools/bench/export_onnx_refs.py DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
model=$1; onnx=$2; batch=$3; threads=${4:-2}; rounds=${5:-5}; iters=${6:-20}
ort=${ORT_BENCH:-../shared/tools/ort-bench/run.sh}
d_ms=(); o_ms=()
for r in $(seq "$rounds"); do
  d=$(./dynchan bench --model "$model" --batch "$batch" --threads "$threads" --iterations "$iters" --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["median_ms"])')
  o=$("$ort" "$onnx" "$batch" "$threads" "$iters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])')
  echo "round $r: dynchan ${d} ms, onnxruntime ${o} ms" >&2
  d_ms+=("$d"); o_ms+=("$o")
done
python3 - "$model" "$batch" "$threads" "${d_ms[*]}" "${o_ms[*]}" <<'PY'
import statistics, sys
model, batch, threads = sys.argv[1:4]
d = [float(v) for v in sys.argv[4].split()]; o = [float(v) for v in sys.argv[5].split()]
md, mo = statistics.median(d), statistics.median(o)
print(f"{model} batch {batch}, {threads} threads: dynchan {md:.2f} ms, onnxruntime {mo:.2f} ms, "
      f"dynchan/ort {md / mo:.3f} (rounds: dynchan {d}, onnxruntime {o})")
PY
