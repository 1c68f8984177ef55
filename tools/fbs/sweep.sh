#!/usr/bin/env bash
# FBS density sweep on the embedded Fashion-MNIST subset (BENCHMARKS.md, FBS section): fbs_resnet18, small-image
# variant, 28 px, the paper's procedure (a trained dense network, then the gates):
#   1. dense: a plain torchvision-keyed resnet18, trained from scratch;
#   2. each d in {1.0, 0.8, 0.6, 0.5, 0.4, 0.3}: fbs_resnet18 initialised from it (convs, BN, fc; gates fresh),
#      --freeze-base-epochs 1 (gates alone), then everything, 2 epochs in all;
#   3. statically thinned ResNet-18s (--width-mult) of about the MACs of d = 0.8, 0.5, 0.3, trained from scratch for as
#      many epochs as dense + fine-tuning;
#   4. top-1 (best epoch), MACs (profile, mean of 8 inputs), latency (bench, batch 1, all models interleaved in one
#      process) and the accuracy-vs-MACs PNG.
# usage: tools/fbs/sweep.sh [OUT_DIR]   (default runs/fbs-sweep); prints one JSON line per model
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-runs/fbs-sweep}
dc=(--data fashion-mnist --max-train-samples 2000 --max-val-samples 1000 --input-size 28 --in-chans 1 --num-classes 10 --small-stem
    --no-progress --threads 2)
dense_epochs=5; ft_epochs=2
cd "$here"
mkdir -p "$out"
# run every step from one frozen copy of the jar, so that edits to the sources during the sweep change nothing
./dynchan --version >/dev/null 2>&1 || ./dynchan models >/dev/null
cp target/dynchan.jar "$out/dynchan.jar"
export DYNCHAN_CLASSPATH="$out/dynchan.jar"
start=$(date +%s)
run() { # name, then train flags
  local name=$1; shift
  if [ -f "$out/$name/summary.json" ]; then echo "$name: done already" >&2; return; fi
  ./dynchan train "${dc[@]}" --output "$out/$name" "$@" > "$out/$name.log" 2>&1 || { tail -5 "$out/$name.log"; exit 1; }
  echo "$name: $(( $(date +%s) - start )) s since start" >&2
}
run dense --model resnet18 --epochs $dense_epochs --lr 0.05
for d in 1.0 0.8 0.6 0.5 0.4 0.3; do
  run d$d --model fbs_resnet18 --density $d --weights "$out/dense/best.safetensors" --freeze-base-epochs 1 \
      --epochs $ft_epochs --lr 0.02
done
for w in 0.85 0.6 0.44; do
  run thin$w --model resnet18 --width-mult $w --epochs $((dense_epochs + ft_epochs)) --lr 0.05
done
echo "training: $(( $(date +%s) - start )) s" >&2
uptime >&2
names=(dense d1.0 d0.8 d0.6 d0.5 d0.4 d0.3 thin0.85 thin0.6 thin0.44)
for name in "${names[@]}"; do
  w="$out/$name/best.safetensors"
  top1=$(python3 -c "import json,sys; print(json.load(open('$out/$name/summary.json'))['best_top1'])")
  macs=$(./dynchan profile --weights "$w" --batch-size 8 --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['macs'])")
  echo "{\"model\":\"$name\",\"top1\":$top1,\"macs\":$macs}"
done | tee "$out/results.jsonl"
# latency of the same architectures (random weights: an FBS layer keeps k channels whatever the weights), interleaved
specs=(--model resnet18)
for d in 1.0 0.8 0.6 0.5 0.4 0.3; do specs+=(--model "fbs_resnet18:density=$d"); done
for w in 0.85 0.6 0.44; do specs+=(--model "resnet18:width_mult=$w"); done
./dynchan bench "${specs[@]}" --small-stem --input-size 28 --in-chans 1 --num-classes 10 --batch 1 --iterations 100 \
    --threads 2 | tee "$out/latency.txt"
java -cp "$out/dynchan.jar" tools/fbs/SweepPlot.java "$out/results.jsonl" "$out/sweep.png"
