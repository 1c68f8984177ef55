#!/usr/bin/env bash
# The measurements behind BENCHMARKS.md, one section at a time, each command echoed before its output into
# OUT/<section>.txt. Run on an otherwise idle machine (nothing else may run: 2 cores); ONNX files from
# `/usr/bin/python3 tools/bench/export_onnx_refs.py ONNX_DIR` (default /tmp/onnxrefs).
#   tools/bench/report.sh OUT [SECTION ...]   sections: peak dense pix-pf dsnet fbs train dist jmh (default: all)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$1; shift
onnx=${ONNX_DIR:-/tmp/onnxrefs}
sections=("$@"); [ ${#sections[@]} -eq 0 ] && sections=(peak dense pix-pf dsnet fbs train dist jmh)
mkdir -p "$out"
./dynchan models >/dev/null
run() { echo "\$ $*"; "$@" 2>&1 | grep -v '^\s*$'; echo; }
for s in "${sections[@]}"; do
  echo "== $s ($(date -u +%H:%M:%S), $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  case $s in
    peak) run ../shared/tools/peak-flops/run.sh ;;
    dense)  # DynChan vs ONNX Runtime on PyTorch's exports of the same architectures; batch 1 and 16
      for m in resnet50 resnet18 resnet50_max resnet50_hybrid PiXResNet50_cs; do
        run tools/bench/vs.sh ort "$onnx/$m.onnx" "$m" 1 2 5 20
        run tools/bench/vs.sh ort "$onnx/$m.onnx" "$m" 16 2 3 8
      done
      run tools/bench/vs.sh torch - resnet50 1 2 3 20 ;;  # batch 16: 200 warm-up calls of ~1 s per round
    pix-pf)  # PiX and the parameter-free layers against resnet50, interleaved in one process
      run ./dynchan bench --model resnet50 --model PiXResNet50_cs --model resnet50_max --model resnet50_hybrid \
          --batch 1 --iterations 40 --threads 2
      run ./dynchan bench --model resnet50 --model PiXResNet50_cs --model resnet50_max --model resnet50_hybrid \
          --batch 16 --iterations 8 --threads 2
      run ./dynchan bench --model PiXResNet50_cs --batch 1 --iterations 40 --threads 2 --layers
      run ./dynchan bench --model vit_s --model vit_s_max --batch 1 --iterations 20 --threads 2 ;;
    dsnet)  # widths against ORT on PyTorch's static exports with the same weights (the reference supernet's
      # state_dict, written beside them by export_onnx_refs.py), interleaved in one process; then the widths against
      # each other; a batch split over 4 widths (tools/dsnet/split_batch.py); where the time goes
      m=slimmable_mbnet_v1_bn_uniform; ref="weights=$onnx/dsnet_supernet.pth"
      for b in 1 16; do
        for r in 1 2 3; do
          run ./dynchan bench --model $m:$ref,width=uniform:0 --model "$onnx/dsnet_uniform0.onnx" \
              --model $m:$ref,width=uniform:13 --model "$onnx/dsnet_uniform13.onnx" --batch $b \
              --iterations $((b == 1 ? 200 : 20)) --threads 2
        done
      done
      for b in 1 16; do
        run ./dynchan bench --model $m:width=uniform:13 --model $m:width=smallest --model $m:width=uniform:6 \
            --model $m:width=dynamic --batch $b --iterations $((b == 1 ? 100 : 15)) --threads 2
      done
      ./dynchan export --model $m --output "$out/dsnet_seed0.safetensors" >/dev/null
      /usr/bin/python3 tools/dsnet/split_batch.py "$out/dsnet_seed0.safetensors" "$out/split" >/dev/null
      s="weights=$out/split/gate.safetensors"
      for r in 1 2 3; do
        run ./dynchan bench --model $m:$s,width=uniform:0 --model $m:$s,width=uniform:1 --model $m:$s,width=uniform:2 \
            --model $m:$s,width=uniform:3 --model $m:$s,width=dynamic --input "$out/split/batch.npy" \
            --iterations 20 --threads 2
      done
      if [ -n "${DSNET_GATE:-}" ]; then  # a gate trained by tools/dsnet/embedded.sh (28 px), on real test images
        g="weights=$DSNET_GATE"
        for r in 1 2 3; do
          run ./dynchan bench --model $m:$g,width=uniform:0 --model $m:$g,width=uniform:1 --model $m:$g,width=uniform:2 \
              --model $m:$g,width=dynamic --in-chans 1 --input-size 28 --small-stem --num-classes 10 \
              --data fashion-mnist --batch 16 --iterations 200 --threads 2
        done
      fi
      run ./dynchan bench --model $m:width=smallest --model $m:width=uniform:13 --batch 1 --iterations 100 \
          --threads 2 --layers ;;
    fbs)
      for b in 1 16; do
        run ./dynchan bench --model resnet18 --model fbs_resnet18:density=0.5 --model fbs_resnet18:density=0.3 \
            --batch $b --iterations $((b == 1 ? 40 : 10)) --threads 2
      done
      run tools/bench/vs.sh ort "$onnx/resnet18.onnx" fbs_resnet18:density=0.5 1 2 5 20
      run tools/bench/vs.sh ort "$onnx/resnet18.onnx" fbs_resnet18:density=0.5 16 2 3 8
      run ./dynchan bench --model fbs_resnet18:density=0.5 --batch 16 --iterations 10 --threads 2 --tune-routes --plan
      run ./dynchan bench --model fbs_resnet18:density=0.5 --batch 1 --iterations 40 --threads 2 --layers ;;
    train)  # training step vs PyTorch eager, and the default run
      run ./dynchan train --benchmark-steps 5 --model resnet18 --small-stem --input-size 32 --in-chans 3 \
          --num-classes 10 --batch-size 128 --threads 2
      run /usr/bin/python3 tools/bench/torch_train_step.py --model resnet18_small --img 32 --batch 128 --threads 2 \
          --steps 5
      run ./dynchan train --benchmark-steps 5 --model resnet50 --input-size 224 --batch-size 16 --threads 2
      run /usr/bin/python3 tools/bench/torch_train_step.py --model resnet50 --img 224 --batch 16 --threads 2 --steps 5
      rm -rf "$out/default-run"
      run bash -c "time ./dynchan train --no-progress --output $out/default-run" ;;
    dist)  # accuracy at the same global batch (2 epochs of the default run); then throughput over one epoch of
      # 3,072 images: 1 process x 2 threads, 2 processes x 1 thread, 1 process x 1 thread
      rm -rf "$out/acc-1p" "$out/acc-2p"
      run ./dynchan train --epochs 2 --batch-size 128 --threads 2 --no-progress --output "$out/acc-1p"
      run ./dynchan launch --nproc-per-node 2 train --epochs 2 --batch-size 64 --no-progress --output "$out/acc-2p"
      for r in 1 2; do
        for cmd in "train --threads 2 --batch-size 128" "launch --nproc-per-node 2 train --batch-size 64" \
                   "train --threads 1 --batch-size 128"; do
          rm -rf "$out/dist-run"
          # shellcheck disable=SC2086
          run ./dynchan $cmd --max-train-samples 3072 --max-val-samples 200 --epochs 1 --no-progress \
              --output "$out/dist-run"
        done
      done ;;
    jmh) run ./dynchan bench --jmh --model resnet18 --model resnet50_max --iterations 10 --warmup 5 --threads 2 ;;
    *) echo "unknown section $s" >&2; exit 2 ;;
  esac > "$out/$s.txt"
done
echo "done ($(date -u +%H:%M:%S), $(cut -d' ' -f1-3 /proc/loadavg))" >&2
