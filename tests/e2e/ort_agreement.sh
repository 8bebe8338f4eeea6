#!/usr/bin/env bash
# quantize infer agrees with ONNX Runtime (npm onnxruntime-node) on the bundled real models.
# Usage: ort_agreement.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
INPUT="$SRC/testdata/inputs/fashion_test_8.npy"
for model in smallcnn dwnet; do
  MODEL="$SRC/testdata/models/$model.onnx"
  for mode in fast reference; do
    flag=""; [ "$mode" = reference ] && flag="--reference"
    out="$WORK/$model-$mode"
    if "$QUANTIZE" -q infer "$MODEL" --input "input=$INPUT" --output-dir "$out" $flag; then
      if result=$(node "$SRC/tools/ort_compare.mjs" "$MODEL" "$out" --tol 1e-4 "input=$INPUT" 2>&1); then
        ok "$model ($mode kernels) matches ONNX Runtime: $result"
      else
        fail "$model ($mode kernels): $result"
      fi
    else
      fail "$model ($mode kernels): quantize infer failed"
    fi
  done
done
finish
