#!/usr/bin/env bash
# Reproduces the figures of docs/accuracy.md (after scripts/build.sh; takes about a minute):
# Fashion-MNIST models calibrated on the first 1,000 training images and evaluated in ONNX Runtime on
# the 10,000 test images; the policy calibrated on policy_calib_x.npy and compared with its float
# model on policy_test_x.npy (from the team's shared/models, path as the first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${1:-../shared/models}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
Q=./build/apps/quantize
node tools/make_fashion_samples.mjs "$W/calib.npy" "$W/calib_y.npy" 1000 train 0
node tools/make_fashion_samples.mjs "$W/test.npy" "$W/test_y.npy" 10000 test 0
top1() { node tools/evaluate.mjs "$1" "$W/test.npy" "$W/test_y.npy" | awk '{print $2}'; }

echo "| model | weights | method | top-1 | drop (points) |"
echo "|---|---|---|---|---|"
for model in smallcnn dwnet; do
  f=$(top1 "testdata/models/$model.onnx")
  echo "| $model | float | - | $f | - |"
  for weights in per-channel per-tensor; do
    flag=""; [ "$weights" = per-tensor ] && flag="--per-tensor-weights"
    for m in minmax percentile entropy mse; do
      [ "$model" = dwnet ] && [ "$m" != minmax ] && [ "$m" != mse ] && continue
      [ "$model" = smallcnn ] && [ "$weights" = per-tensor ] && [ "$m" != minmax ] && continue
      $Q -q optimize "testdata/models/$model.onnx" --calib "$W/calib.npy" -m $m $flag -o "$W/q.onnx"
      q=$(top1 "$W/q.onnx")
      echo "| $model | int8 $weights | $m | $q | $(awk -v a="$f" -v b="$q" 'BEGIN{printf "%.2f", (a-b)*100}') |"
    done
  done
done
echo
echo "| policy | out_pedal max abs | out_pedal RMS | out_steer max abs | out_steer RMS |"
echo "|---|---|---|---|---|"
for m in minmax percentile mse; do
  $Q -q optimize testdata/models/policy.onnx --calib "$SHARED/policy_calib_x.npy" -m $m -o "$W/p.onnx"
  node tools/compare_models.mjs testdata/models/policy.onnx "$W/p.onnx" "$SHARED/policy_test_x.npy" |
    awk -v m="$m" '{v[NR*2-1]=$3; v[NR*2]=$5} END {printf "| a8_w8 %s | %s | %s | %s | %s |\n", m, v[1], v[2], v[3], v[4]}'
done
