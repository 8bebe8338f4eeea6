#!/usr/bin/env bash
# Hostile models (testdata/hostile, written by tools/make_hostile_models.py): external data that
# points outside the model's folder, sizes that disagree with the data present or overflow. Each is
# refused with one message naming the tensor, before anything is read or allocated, and no output is
# written; external data beside the model, in a subfolder, keeps working.
# Usage: hostile_models.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
M="$WORK/models"
cp -r "$SRC/testdata/hostile" "$M"
ln -s /etc/passwd "$M/external_link.bin"
mkfifo "$M/external_fifo.bin"
/usr/bin/python3 -c "import numpy; numpy.save('$WORK/x.npy', numpy.zeros(3, numpy.float32))"

expect_exit 0 "external data in a subfolder, at an offset, is read" "$QUANTIZE" infer "$M/external_subfolder.onnx" --input "x=$WORK/x.npy" -o "$WORK/ok"
node -e "import('$SRC/tools/npy.mjs').then(m => { const y = m.readNpy('$WORK/ok/y.npy'); process.exit(String(Array.from(y.data)) === '100,200,300' ? 0 : 1); })" \
  && ok "its values are the ones in the file" || fail "external_subfolder: wrong values"

# model, exit code, what the message says (after "tensor 'w': ")
while read -r model code message; do
  expect_exit "$code" "$model is refused" timeout 20 "$QUANTIZE" infer "$M/$model.onnx" --input "x=$WORK/x.npy" -o "$WORK/out_$model"
  expect_stderr "$model: the message names the tensor and the problem" "^quantize: error: .*$model.onnx: tensor 'w': $message"
  [ "$(grep -c . "$ERR_FILE")" -eq 1 ] && ok "$model: one line" || fail "$model: $(cat "$ERR_FILE")"
  [ ! -e "$WORK/out_$model" ] && ok "$model: nothing written" || fail "$model: output written"
done <<'CASES'
external_absolute 5 external data location '/etc/passwd' is an absolute path: only files in the model's folder or below are read
external_parent 5 external data location '\.\./\.\./\.\./\.\./\.\./\.\./etc/passwd' climbs out of the model's folder \('\.\.'\)
external_link 5 external data location 'external_link.bin' resolves to '/etc/passwd', outside the model's folder
external_fifo 5 external data location 'external_fifo.bin' is not a regular file
external_offset_beyond 4 external data file 'data/w.bin' holds 0 bytes from offset 1000, the tensor needs 12
external_length_mismatch 4 external data length 4 does not match its shape \(12 bytes\)
external_bad_offset 4 external data offset '-8' is not a size
huge_declared 4 holds 0 values but its shape \[100000, 100000, 1000\] needs 10000000000000
size_overflow 4 its shape \[4611686018427387923\] holds more bytes than 64 bits count
CASES

# Tensors made at run time are counted against the tensor memory limit (default: the machine's
# memory) before they are allocated: 112 GiB from a 200-byte model is refused naming the node.
for case in "huge_constant_of_shape fill ConstantOfShape" "huge_expand expand Expand"; do
  read -r model node op <<< "$case"
  for cmd in infer optimize; do
    if [ $cmd = infer ]; then args=(--input "x=$WORK/x.npy" -o "$WORK/out_$model"); else args=(--calib "$WORK/x.npy" -o "$WORK/out_$model.onnx"); fi
    expect_exit 5 "$cmd: $model is refused" timeout 20 "$QUANTIZE" $cmd "$M/$model.onnx" "${args[@]}"
    expect_stderr "$cmd: $model: names the node and the size" "^quantize: error: node '$node' \($op\): a tensor float32\[100000, 100000, 3\] of 112 GiB would bring the tensor memory in use \(.*\) above the limit of .* \(the machine's memory; --max-memory sets it\)"
    [ ! -e "$WORK/out_$model" ] && [ ! -e "$WORK/out_$model.onnx" ] && ok "$cmd: $model: nothing written" || fail "$cmd: $model: output written"
  done
done

# If branches nested 40 deep: protobuf's parser refuses it (bounding every recursion over subgraphs).
/usr/bin/python3 - "$WORK/nested.onnx" <<'PY'
import sys
from onnx import helper, TensorProto
out = lambda name: [helper.make_tensor_value_info(name, TensorProto.FLOAT, None)]
leaf = lambda name: helper.make_graph([helper.make_node("Identity", ["x"], [name])], name, [], out(name))
g = leaf("y40")
for d in range(39, -1, -1):
    g = helper.make_graph([helper.make_node("If", ["c"], [f"y{d}"], then_branch=g, else_branch=leaf(f"e{d}"))], f"g{d}", [], out(f"y{d}"))
inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])]
model = helper.make_model(helper.make_graph(g.node, "top", inputs, out("y0")), opset_imports=[helper.make_opsetid("", 13)])
open(sys.argv[1], "wb").write(model.SerializeToString())
PY
expect_exit 4 "If subgraphs nested 40 deep" "$QUANTIZE" parse-model "$WORK/nested.onnx"
expect_stderr "refused as too deep to parse" "nests subgraphs deeper than protobuf's limit of 100 messages"

# The other commands load the same way: parse-model and optimize refuse too, and optimize writes nothing.
expect_exit 5 "parse-model refuses the absolute location" "$QUANTIZE" parse-model "$M/external_absolute.onnx"
expect_exit 4 "parse-model refuses the overflowing size (it used to print 4611686018427387923 parameters)" "$QUANTIZE" parse-model "$M/size_overflow.onnx"
expect_exit 5 "optimize refuses the link to /etc/passwd" "$QUANTIZE" optimize "$M/external_link.onnx" --calib "$WORK/x.npy" -o "$WORK/q.onnx"
[ ! -e "$WORK/q.onnx" ] && [ ! -e "$WORK/q.json" ] && ok "optimize wrote neither model nor JSON" || fail "optimize wrote output"
finish
