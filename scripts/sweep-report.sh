#!/usr/bin/env bash
# Reproduces the sweeps of docs/sweep.md (after scripts/build.sh; about 10 minutes): smallcnn and
# dwnet over the four calibration methods and three calibration sizes (the first 100, 500 and 1,000
# Fashion-MNIST training images), scored on the 10,000 test images by top-1 accuracy. Writes
# docs/sweep-<model>.csv and docs/sweep-<model>.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
node tools/make_fashion_samples.mjs "$W/calib.npy" "$W/calib_y.npy" 1000 train 0
node tools/make_fashion_samples.mjs "$W/test.npy" "$W/test_y.npy" 10000 test 0
for model in smallcnn dwnet; do
  ./build/apps/quantize sweep "testdata/models/$model.onnx" --calib "$W/calib.npy" --data "$W/test.npy" --labels "$W/test_y.npy" \
    --calib-sizes 100,500,1000 -o "$W/$model"
  cp "$W/$model/sweep.csv" "docs/sweep-$model.csv"
  cp "$W/$model/sweep.svg" "docs/sweep-$model.svg"
  cat "docs/sweep-$model.csv"
done
