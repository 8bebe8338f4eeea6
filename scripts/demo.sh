#!/usr/bin/env bash
# The main job on the bundled example: installs what is missing, builds, quantizes the bundled
# Fashion-MNIST CNN with 100 bundled calibration PNGs, shows the quantized model's parameters, and
# compares float and quantized top-1 accuracy on 500 bundled labelled test images in ONNX Runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
OUT=out/demo
mkdir -p "$OUT"
# The model takes ((pixel / 255) - 0.2860) / 0.3530, i.e. (pixel - 72.93) / 90.015 in pixel units.
./build/apps/quantize optimize testdata/models/smallcnn.onnx --calib testdata/calib/fashion_100 \
  --mean 72.93 --std 90.015 -o "$OUT/smallcnn_uint8.onnx"
echo
./build/apps/quantize parse-model "$OUT/smallcnn_uint8.onnx"
echo
echo "Top-1 accuracy in ONNX Runtime on testdata/inputs/fashion_test_500.npy:"
printf "  float      %s\n" "$(node tools/evaluate.mjs testdata/models/smallcnn.onnx testdata/inputs/fashion_test_500.npy testdata/inputs/fashion_test_500_labels.npy)"
printf "  quantized  %s\n" "$(node tools/evaluate.mjs "$OUT/smallcnn_uint8.onnx" testdata/inputs/fashion_test_500.npy testdata/inputs/fashion_test_500_labels.npy)"
echo "Wrote $OUT/smallcnn_uint8.onnx and $OUT/smallcnn_uint8.json (per-tensor qp_scale / qp_zp)."
