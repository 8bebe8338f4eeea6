#!/usr/bin/env bash
# Models written with their initializers as ONNX external data (`OUT.data` beside the model):
# asked for with --external-data, and done anyway when a model passes protobuf's 2 GB limit. Each
# written model is read back by quant and by ONNX Runtime with the same outputs.
# Usage: external_data.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
MODEL="$SRC/testdata/models/smallcnn.onnx"
INPUT="$SRC/testdata/inputs/fashion_test_8.npy"
CALIB="$SRC/testdata/calib/fashion_100"
mkdir -p "$WORK/out"

# --- asked for: the quantized smallcnn with its weights beside it
expect_exit 0 "optimize --external-data" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/out/q.onnx" --external-data
expect_exit 0 "optimize, inline" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/inline.onnx"
[ -s "$WORK/out/q.onnx.data" ] && [ -s "$WORK/out/q.json" ] && ok "model, data file and JSON written" || fail "missing: $(ls "$WORK/out")"
small=$(stat -c %s "$WORK/out/q.onnx"); whole=$(stat -c %s "$WORK/inline.onnx")
[ "$small" -lt $((whole / 10)) ] && ok "the .onnx holds the graph only ($small of $whole bytes)" || fail "q.onnx is $small bytes"
(cd "$WORK" && node "$SRC/tools/ort_same_outputs.mjs" inline.onnx out/q.onnx --tol 0 "input=$INPUT" >/dev/null 2>"$ERR_FILE") \
  && ok "ONNX Runtime runs it, from another folder, with the inline model's outputs" || fail "ONNX Runtime: $(head -c 300 "$ERR_FILE")"
expect_exit 0 "quant reads it back" "$QUANTIZE" infer "$WORK/out/q.onnx" --input "$INPUT" -o "$WORK/o_ext"
expect_exit 0 "and the inline one" "$QUANTIZE" infer "$WORK/inline.onnx" --input "$INPUT" -o "$WORK/o_inline"
cmp -s "$WORK/o_ext/logits.npy" "$WORK/o_inline/logits.npy" && ok "same outputs" || fail "outputs differ"
expect_exit 0 "prepare --external-data" "$QUANTIZE" prepare "$MODEL" -o "$WORK/p.onnx" --external-data
[ -s "$WORK/p.onnx.data" ] && ok "prepare wrote p.onnx.data" || fail "prepare: no data file"
expect_exit 0 "optimize --fp16 --external-data" "$QUANTIZE" optimize "$MODEL" --fp16 -o "$WORK/h.onnx" --external-data
[ -s "$WORK/h.onnx.data" ] && ok "fp16 model's data file" || fail "--fp16: no data file"

# --- the data file follows the rules of every output
mkdir "$WORK/dev" && ln -s /dev/null "$WORK/dev/q.onnx.data"
expect_exit 3 "a data file path that is not a regular file" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/dev/q.onnx" --external-data
expect_stderr "refused before any work" "q.onnx.data"
[ ! -e "$WORK/dev/q.onnx" ] && ok "nothing written" || fail "q.onnx written"
expect_exit 2 "--params naming the data file" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/x.onnx" --params "$WORK/x.onnx.data"
expect_stderr "says which outputs collide" "-o's external data file"

# --- over 2 GB: a Gather table of 135,000 x 4,000 floats (2.16 GB) as external data of a sparse
# file (row 0 holds 1.0, the last row 2.0); `prepare` must write it as external data, because
# protobuf cannot serialize it inline.
/usr/bin/python3 - "$WORK/big" <<'PY'
import os, sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper
out = sys.argv[1]; os.makedirs(out)
rows, cols = 135000, 4000
with open(f"{out}/table.bin", "wb") as f:
    f.truncate(rows * cols * 4)
    f.write(np.full(cols, 1.0, np.float32).tobytes())
    f.seek((rows - 1) * cols * 4); f.write(np.full(cols, 2.0, np.float32).tobytes())
table = TensorProto(name="table", data_type=TensorProto.FLOAT, dims=[rows, cols], data_location=TensorProto.EXTERNAL)
entry = table.external_data.add(); entry.key, entry.value = "location", "table.bin"
graph = helper.make_graph([helper.make_node("Gather", ["table", "idx"], ["y"], name="lookup")], "big",
                          [helper.make_tensor_value_info("idx", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, cols])], initializer=[table])
open(f"{out}/big.onnx", "wb").write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
np.save(f"{out}/idx.npy", np.array([0, rows - 1], np.int64))
PY
expect_exit 0 "prepare a 2.16 GB model (no option)" "$QUANTIZE" prepare "$WORK/big/big.onnx" -o "$WORK/big/prepared.onnx"
expect_stderr "says where the weights went" "initializers of 1 KiB or more go to .*prepared.onnx.data"
[ "$(stat -c %s "$WORK/big/prepared.onnx")" -lt 100000 ] && [ "$(stat -c %s "$WORK/big/prepared.onnx.data")" -eq 2160000000 ] \
  && ok "a small .onnx and a 2,160,000,000-byte data file" || fail "sizes: $(ls -l "$WORK/big")"
rm -f "$WORK/big/table.bin"
expect_exit 0 "quant runs the prepared model" "$QUANTIZE" infer "$WORK/big/prepared.onnx" --input "idx=$WORK/big/idx.npy" -o "$WORK/big/o"
/usr/bin/python3 -c "
import numpy as np, sys
y = np.load('$WORK/big/o/y.npy')
sys.exit(0 if y.shape == (2, 4000) and (y[0] == 1).all() and (y[1] == 2).all() else 1)" \
  && ok "rows 0 and 134,999 read back as 1.0 and 2.0" || fail "wrong values read back"
finish
