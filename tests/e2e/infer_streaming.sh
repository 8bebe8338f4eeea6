#!/usr/bin/env bash
# quantize infer runs .npy inputs --batch-size rows at a time and writes each output once: the
# same shapes and values (to float rounding) as all rows at once; a model whose output does not
# follow the rows (a sum over them) is run whole instead, and says so.
# Usage: infer_streaming.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
node "$SRC/tools/make_fashion_samples.mjs" "$WORK/x.npy" "$WORK/y.npy" 1000 test 0 > /dev/null
"$QUANTIZE" -q infer "$SRC/testdata/models/dwnet.onnx" -i "$WORK/x.npy" -o "$WORK/streamed" --batch-size 64 --json > "$WORK/streamed.json" ||
  fail "infer --batch-size 64 failed"
"$QUANTIZE" -q infer "$SRC/testdata/models/dwnet.onnx" -i "$WORK/x.npy" -o "$WORK/whole" --batch-size 0 || fail "infer --batch-size 0 failed"
/usr/bin/python3 - "$WORK" <<'PY' && ok "1,000 rows in 16 batches of 64: same shape, values within 1e-4 of all at once, JSON says 16 batches" || fail "streamed outputs differ"
import json, sys, numpy as np
w = sys.argv[1]
a, b = np.load(f"{w}/streamed/logits.npy"), np.load(f"{w}/whole/logits.npy")
assert a.shape == b.shape == (1000, 10), (a.shape, b.shape)
assert np.abs(a - b).max() < 1e-4, np.abs(a - b).max()
assert (a.argmax(1) == b.argmax(1)).all()
assert json.load(open(f"{w}/streamed.json"))["batches"] == 16
PY
ls "$WORK/streamed" | grep -q tmp && fail "temporary files left" || ok "no temporary file left"

# An output that sums over the rows cannot be streamed: it runs whole.
/usr/bin/python3 - "$WORK" <<'PY' || fail "could not write the row-sum model"
import sys, onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
axes = helper.make_tensor("axes", TensorProto.INT64, [1], [0])
g = helper.make_graph([helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=1)], "rowsum", [x], [y], [axes])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{sys.argv[1]}/rowsum.onnx")
import numpy as np
np.save(f"{sys.argv[1]}/rows.npy", np.arange(400, dtype=np.float32).reshape(100, 4))
PY
expect_exit 0 "a row-sum model with --batch-size 10" "$QUANTIZE" infer "$WORK/rowsum.onnx" -i "$WORK/rows.npy" -o "$WORK/sum" --batch-size 10
expect_stderr "... is run whole, saying why" "does not follow the inputs' first axis: running all 100 rows at once"
/usr/bin/python3 -c "
import numpy as np, sys
y = np.load(sys.argv[1] + '/sum/y.npy'); assert y.shape == (1, 4) and y.tolist() == [np.arange(400).reshape(100, 4).sum(0).tolist()], y" "$WORK" &&
  ok "... and sums all 100 rows" || fail "the row sum is wrong"
expect_exit 2 "a negative --batch-size is refused" "$QUANTIZE" infer "$WORK/rowsum.onnx" -i "$WORK/rows.npy" -o "$WORK/neg" --batch-size -1
finish
