#!/usr/bin/env bash
# Reproduces the auto-precision tables and charts of docs/analyze.md (after scripts/build.sh; a few
# minutes): smallcnn and dwnet calibrated on the first 1,000 Fashion-MNIST training images;
# `optimize --auto-precision` chooses the layers; then the model with the first k of them at 16 bits,
# for every k, measured in ONNX Runtime on the 10,000 test images (lowest output SQNR against the
# float model, top-1 accuracy). Writes docs/auto-precision-<model>.csv and .svg.
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
Q=./build/apps/quantize
node tools/make_fashion_samples.mjs "$W/calib.npy" "$W/calib_y.npy" 1000 train 0
node tools/make_fashion_samples.mjs "$W/test.npy" "$W/test_y.npy" 10000 test 0
top1() { node tools/evaluate.mjs "$1" "$W/test.npy" "$W/test_y.npy" | awk '{printf "%.2f", $2 * 100}'; }
lowest_sqnr() { node tools/compare_models.mjs "$1" "$2" "$W/test.npy" | awk '{print $NF}' | sort -g | head -1; }

for spec in dwnet:45 smallcnn:55; do
  model=${spec%%:*}; target=${spec##*:}
  float="testdata/models/$model.onnx"
  $Q -q optimize "$float" --calib "$W/calib.npy" --auto-precision --target-sqnr "$target" -o "$W/auto.onnx" --json > "$W/auto.result.json"
  float_top1=$(top1 "$float")
  csv="docs/auto-precision-$model.csv"
  echo "step,layer,mac_16bit_percent,sqnr_calib_db,sqnr_test_db,top1_percent,float_top1_percent" > "$csv"
  # One line per step: index, layer ("all 8 bits" first), MAC share, SQNR on the calibration data.
  node -e "
    const a = require('$W/auto.result.json').auto_precision;
    a.steps.forEach((s, i) => console.log([i, s.layer || 'all 8 bits', (100 * s.mac_fraction_16bit).toFixed(1), s.sqnr_db.toFixed(1)].join(' ')));
  " > "$W/steps.txt"
  : > "$W/script.alls"
  while read -r step layer mac sqnr_calib; do
    [ "$step" -gt 0 ] && echo "quantization_param($layer, precision_mode=a16_w16)" >> "$W/script.alls"
    [ "$step" -eq 0 ] && layer="all 8 bits" && mac=0.0
    $Q -q optimize "$float" --calib "$W/calib.npy" --script "$W/script.alls" -o "$W/step.onnx"
    echo "$step,$layer,$mac,$sqnr_calib,$(lowest_sqnr "$float" "$W/step.onnx"),$(top1 "$W/step.onnx"),$float_top1" >> "$csv"
  done < <(sed 's/^\([0-9]*\) all 8 bits /\1 - /' "$W/steps.txt")
  node tools/steps_chart.mjs "$csv" "$model: auto-precision --target-sqnr $target, one layer raised per step" > "docs/auto-precision-$model.svg"
  cat "$csv"
done
