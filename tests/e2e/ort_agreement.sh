#!/usr/bin/env bash
# quantize infer agrees with ONNX Runtime (npm onnxruntime-node) on the bundled real models, and
# on GridSample in all its modes.
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

# GridSample in every mode, padding and align_corners (18 models written here), on a 5x7 image of
# 3 channels and a grid reaching beyond [-1, 1], where the padding modes differ.
/usr/bin/python3 - "$WORK" <<'PY'
import sys, itertools, numpy as np, onnx
from onnx import helper, TensorProto as T
rng = np.random.default_rng(16)
np.save(sys.argv[1] + "/gs_x.npy", rng.standard_normal((2, 3, 5, 7)).astype(np.float32))
np.save(sys.argv[1] + "/gs_grid.npy", rng.uniform(-1.6, 1.6, (2, 4, 6, 2)).astype(np.float32))
for mode, padding, align in itertools.product(["bilinear", "nearest", "bicubic"], ["zeros", "border", "reflection"], [0, 1]):
    g = helper.make_graph([helper.make_node("GridSample", ["X", "grid"], ["Y"], mode=mode, padding_mode=padding, align_corners=align)], "g",
                          [helper.make_tensor_value_info("X", T.FLOAT, [2, 3, 5, 7]), helper.make_tensor_value_info("grid", T.FLOAT, [2, 4, 6, 2])],
                          [helper.make_tensor_value_info("Y", T.FLOAT, [2, 3, 4, 6])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)]), f"{sys.argv[1]}/gs_{mode}_{padding}_{align}.onnx")
PY
for model in "$WORK"/gs_*.onnx; do
  name=$(basename "$model" .onnx)
  if "$QUANTIZE" -q infer "$model" --input "X=$WORK/gs_x.npy" --input "grid=$WORK/gs_grid.npy" -o "$WORK/$name.out" &&
     result=$(node "$SRC/tools/ort_compare.mjs" "$model" "$WORK/$name.out" --tol 1e-5 "X=$WORK/gs_x.npy" "grid=$WORK/gs_grid.npy" 2>&1); then
    ok "$name matches ONNX Runtime: $result"
  else
    fail "$name: ${result:-infer failed}"
  fi
done
finish
