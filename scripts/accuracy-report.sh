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
# errors of each policy output: "| label | data | pedal max | pedal RMS | steer max | steer RMS |"
policy_row() {
  node tools/compare_models.mjs testdata/models/policy.onnx "$1" "$3" |
    awk -v l="$2" -v d="$4" '{v[NR*3-2]=$3; v[NR*3-1]=$5; v[NR*3]=$7} END {printf "| %s | %s | %s | %s | %s dB | %s | %s | %s dB |\n", l, d, v[1], v[2], v[3], v[4], v[5], v[6]}'
}
echo
echo "| policy | inputs | out_pedal max abs | out_pedal RMS | out_pedal SQNR | out_steer max abs | out_steer RMS | out_steer SQNR |"
echo "|---|---|---|---|---|---|---|---|"
# --full-integer: the outputs quantized too (the default leaves model outputs in float).
for m in minmax percentile mse; do
  $Q -q optimize testdata/models/policy.onnx --calib "$SHARED/policy_calib_x.npy" -m $m -o "$W/p.onnx" --full-integer
  policy_row "$W/p.onnx" "a8_w8 $m, full integer" "$SHARED/policy_test_x.npy" test
done
$Q -q optimize testdata/models/policy.onnx --calib "$SHARED/policy_calib_x.npy" -o "$W/p.onnx"
policy_row "$W/p.onnx" "a8_w8 minmax, default (outputs float)" "$SHARED/policy_test_x.npy" test
echo
echo "| policy precision (minmax) | inputs | out_pedal max abs | out_pedal RMS | out_pedal SQNR | out_steer max abs | out_steer RMS | out_steer SQNR |"
echo "|---|---|---|---|---|---|---|---|"
for cfg in none all_a16_w16 policy_heads_a16 policy_body_a16; do
  script=(); label="a8_w8 everywhere"
  [ "$cfg" != none ] && script=(--script "testdata/scripts/$cfg.alls") && label="$cfg.alls"
  $Q -q optimize testdata/models/policy.onnx --calib "$SHARED/policy_calib_x.npy" "${script[@]}" -o "$W/p.onnx" --full-integer
  policy_row "$W/p.onnx" "$label" "$SHARED/policy_calib_x.npy" "calibration (1,024)"
  policy_row "$W/p.onnx" "$label" "$SHARED/policy_test_x.npy" "test (10,000)"
done
# The same all-16-bit script with the calibrated ranges as they are: what 16-bit headroom fixes.
$Q -q optimize testdata/models/policy.onnx --calib "$SHARED/policy_calib_x.npy" --script testdata/scripts/all_a16_w16.alls --headroom-16bit 0 -o "$W/p.onnx" --full-integer
policy_row "$W/p.onnx" "all_a16_w16.alls, --headroom-16bit 0" "$SHARED/policy_test_x.npy" "test (10,000)"
echo
echo "| smallcnn all a16_w16 | inputs | logits SQNR | top-1 |"
echo "|---|---|---|---|"
$Q -q optimize testdata/models/smallcnn.onnx --calib "$W/calib.npy" --script testdata/scripts/all_a16_w16.alls -o "$W/c16.onnx"
for d in calib test; do
  s=$(node tools/compare_models.mjs testdata/models/smallcnn.onnx "$W/c16.onnx" "$W/$d.npy" | awk '{print $7}')
  t=$([ $d = test ] && top1 "$W/c16.onnx" || echo "-")
  echo "| all_a16_w16.alls | $d | $s dB | $t |"
done
echo
echo "| dwnet, int8 per-tensor weights | top-1 | drop (points) |"
echo "|---|---|---|"
f=$(top1 testdata/models/dwnet.onnx)
for cfg in none equalization bias_correction level2; do
  script=(); [ "$cfg" != none ] && script=(--script "testdata/scripts/$cfg.alls")
  $Q -q optimize testdata/models/dwnet.onnx --calib "$W/calib.npy" --per-tensor-weights "${script[@]}" -o "$W/d.onnx"
  q=$(top1 "$W/d.onnx")
  echo "| ${cfg/none/no optimization} | $q | $(awk -v a="$f" -v b="$q" 'BEGIN{printf "%.2f", (a-b)*100}') |"
done
