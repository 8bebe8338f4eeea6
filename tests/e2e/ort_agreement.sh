#!/usr/bin/env bash
# quantize infer agrees with ONNX Runtime (npm onnxruntime-node) on the bundled real models, and
# on GridSample and RoiAlign in all their modes.
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

# RoiAlign in both modes, both coordinate modes and two sampling ratios, regions reaching past the
# image's edges, two images (8 models written here).
/usr/bin/python3 - "$WORK" <<'PY'
import sys, itertools, numpy as np, onnx
from onnx import helper, TensorProto as T
rng = np.random.default_rng(10)
np.save(sys.argv[1] + "/ra_x.npy", rng.standard_normal((2, 3, 9, 11)).astype(np.float32))
np.save(sys.argv[1] + "/ra_rois.npy", np.array([[1.2, 0.7, 7.9, 5.3], [-3, -2, 4.5, 12], [6, 6, 6.4, 6.2], [0, 0, 22, 18]], np.float32))
np.save(sys.argv[1] + "/ra_batch.npy", np.array([0, 1, 1, 0], np.int64))
for mode, transform, ratio in itertools.product(["avg", "max"], ["half_pixel", "output_half_pixel"], [0, 2]):
    g = helper.make_graph([helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"], mode=mode, coordinate_transformation_mode=transform,
                                            sampling_ratio=ratio, output_height=3, output_width=4, spatial_scale=0.5)], "g",
                          [helper.make_tensor_value_info("X", T.FLOAT, [2, 3, 9, 11]), helper.make_tensor_value_info("rois", T.FLOAT, [4, 4]),
                           helper.make_tensor_value_info("batch_indices", T.INT64, [4])],
                          [helper.make_tensor_value_info("Y", T.FLOAT, [4, 3, 3, 4])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)]), f"{sys.argv[1]}/ra_{mode}_{transform}_{ratio}.onnx")
PY
for model in "$WORK"/ra_*.onnx; do
  name=$(basename "$model" .onnx)
  feeds=("X=$WORK/ra_x.npy" "rois=$WORK/ra_rois.npy" "batch_indices=$WORK/ra_batch.npy")
  if "$QUANTIZE" -q infer "$model" "${feeds[@]/#/--input=}" -o "$WORK/$name.out" &&
     result=$(node "$SRC/tools/ort_compare.mjs" "$model" "$WORK/$name.out" --tol 1e-5 "${feeds[@]}" 2>&1); then
    ok "$name matches ONNX Runtime: $result"
  else
    fail "$name: ${result:-infer failed}"
  fi
done
finish
