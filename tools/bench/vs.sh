#!/usr/bin/env bash
# DynChan vs another runtime on the same architecture, in one run: `./dynchan bench --json` and the other side
# alternate ROUNDS times (separate processes), each reporting its median of ITERATIONS timed calls after warm-up;
# every round is printed, then the medians of the per-round medians and their ratio.
#   tools/bench/vs.sh ort FILE.onnx MODEL BATCH [THREADS] [ROUNDS] [ITERATIONS]
#       ONNX Runtime 1.22 for Java (../shared/tools/ort-bench/run.sh: all optimisations, own process) on FILE.onnx;
#       files made by PyTorch from the reference models: /usr/bin/python3 tools/bench/export_onnx_refs.py DIR
#   tools/bench/vs.sh torch - MODEL BATCH [THREADS] [ROUNDS] [ITERATIONS]
#       PyTorch eager (Debian python3-torch 1.13, tools/bench/torch_bench.py: eval, no_grad), 200 warm-up calls
set -euo pipefail
cd "$(dirname "$0")/../.."
side=$1; onnx=$2; model=$3; batch=$4; threads=${5:-2}; rounds=${6:-5}; iters=${7:-20}
ort=${ORT_BENCH:-../shared/tools/ort-bench/run.sh}
median() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["results"][0]["median_ms"] if "results" in d else d["median_ms"])'; }
d_ms=(); o_ms=()
for r in $(seq "$rounds"); do
  d=$(./dynchan bench --model "$model" --batch "$batch" --threads "$threads" --iterations "$iters" --json | median)
  case "$side" in
    ort) o=$("$ort" "$onnx" "$batch" "$threads" "$iters" | median) ;;
    torch) o=$(/usr/bin/python3 tools/bench/torch_bench.py --model "$model" --batch "$batch" --threads "$threads" \
          --iterations "$iters" --warmup 200 | median) ;;
    *) echo "side must be ort or torch" >&2; exit 2 ;;
  esac
  echo "round $r: dynchan ${d} ms, $side ${o} ms" >&2
  d_ms+=("$d"); o_ms+=("$o")
done
python3 - "$side" "$model" "$batch" "$threads" "${d_ms[*]}" "${o_ms[*]}" <<'PY'
import statistics, sys
side, model, batch, threads = sys.argv[1:5]
d = [float(v) for v in sys.argv[5].split()]; o = [float(v) for v in sys.argv[6].split()]
md, mo = statistics.median(d), statistics.median(o)
print(f"{model} batch {batch}, {threads} threads: dynchan {md:.2f} ms, {side} {mo:.2f} ms, "
      f"dynchan/{side} {md / mo:.3f} (rounds: dynchan {d}, {side} {o})")
PY
