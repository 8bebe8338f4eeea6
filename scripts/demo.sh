#!/usr/bin/env bash
# The main job on the bundled example: installs what is missing, builds, describes the bundled
# Fashion-MNIST CNN, runs it on 8 bundled test images and prints the predictions next to the labels.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
MODEL=testdata/models/smallcnn.onnx
OUT=out/demo
echo
./build/apps/quantize parse-model "$MODEL" --layers
echo
./build/apps/quantize infer "$MODEL" --input input=testdata/inputs/fashion_test_8.npy --output-dir "$OUT"
node tools/show_predictions.mjs "$OUT/logits.npy" testdata/inputs/fashion_test_8_labels.npy
