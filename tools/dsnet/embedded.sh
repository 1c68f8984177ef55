#!/usr/bin/env bash
# DS-Net end to end on the embedded Fashion-MNIST subset (BENCHMARKS.md, DS-Net section): the small-image supernet
# (28 px, 1 channel, 3x3 stride-1 stem), Stage I (sandwich rule + in-place distillation), BN recalibration of the
# weights and of their EMA, Stage II (gate only), then the 14 uniform widths and the dynamic model on the test split.
# A budget a 2-core machine runs in about 15 minutes: 2,000 training images, 20 + 3 epochs, no augmentation; lr 0.03
# at batch 128 (the recipe's 0.08 is for batch 512; the sandwich adds four passes' gradients); EMA decay 0.8: the EMA
# is Stage I's teacher, and the recipe's 0.997 (and even 0.95) lags so far behind over this run's 150 updates that
# the sub-networks learn from a near-random teacher (0.95: EMA 29 % top-1 against the model's 74 %, every uniform
# width at chance).
# usage: tools/dsnet/embedded.sh [OUT_DIR]   (default runs/dsnet-embedded)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-runs/dsnet-embedded}
m=slimmable_mbnet_v1_bn_uniform
dc=(--data fashion-mnist --max-train-samples 2000 --max-val-samples 1000 --input-size 28 --in-chans 1
    --num-classes 10 --small-stem --threads 2)
cd "$here"
mkdir -p "$out"
# one frozen copy of the jar, so that edits to the sources during the run change nothing
./dynchan models >/dev/null
cp target/dynchan.jar "$out/dynchan.jar"
export DYNCHAN_CLASSPATH="$out/dynchan.jar"
start=$(date +%s)
step() { echo "$1: $(( $(date +%s) - start )) s since start" >&2; }
if [ ! -f "$out/supernet/summary.json" ]; then
  ./dynchan train --model $m --recipe dsnet-supernet "${dc[@]}" -b 128 --lr 0.03 --epochs 20 --warmup-epochs 1 \
      --model-ema-decay 0.8 --cooldown-epochs 0 --no-aug --no-progress --output "$out/supernet" > "$out/supernet.log" 2>&1
fi
step "stage I"
for w in last last_ema; do
  if [ ! -f "$out/recal_$w.safetensors" ]; then
    ./dynchan recalibrate-bn --weights "$out/supernet/$w.safetensors" --data fashion-mnist --max-val-samples 1000 \
        --batches 60 -b 128 --output "$out/recal_$w.safetensors" > "$out/recal_$w.log" 2>&1
  fi
done
step "recalibration"
if [ ! -f "$out/gate/summary.json" ]; then
  ./dynchan train --model $m --recipe dsnet-gate --weights "$out/recal_last.safetensors" "${dc[@]}" -b 128 \
      --lr 0.05 --epochs 3 --model-ema-decay 0.95 --cooldown-epochs 0 --no-aug --no-progress --output "$out/gate" > "$out/gate.log" 2>&1
fi
step "stage II"
./dynchan eval --weights "$out/gate/best.safetensors" --width all --max-val-samples 1000 --report "$out/widths" \
    | tee "$out/widths.txt"
step "eval"
