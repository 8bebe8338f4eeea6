#!/usr/bin/env bash
# Float interpreter vs ONNX Runtime on the same model, batch and thread count; prints both
# throughputs and their ratio. Run from the repository root after scripts/build.sh:
#   bash bench/infer_vs_ort.sh [BATCH] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
BATCH=${1:-100}
REPEATS=${2:-50}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
node tools/make_fashion_samples.mjs "$WORK/x.npy" "$WORK/y.npy" "$BATCH" test 0
printf "%-10s %-8s %-24s %-24s %s\n" model threads "quant (images/s)" "onnxruntime (images/s)" "quant/ort"
for model in smallcnn dwnet; do
  for threads in 1 2; do
    q=$(OMP_NUM_THREADS=$threads ./build/bench/infer_bench "testdata/models/$model.onnx" input "$WORK/x.npy" "$REPEATS" | awk '{print $4}')
    o=$(node tools/ort_bench.mjs "testdata/models/$model.onnx" input "$WORK/x.npy" "$threads" "$REPEATS" | awk '{print $4}')
    printf "%-10s %-8s %-24s %-24s %.2f\n" "$model" "$threads" "$q" "$o" "$(awk -v a="$q" -v b="$o" 'BEGIN{print a/b}')"
  done
done
