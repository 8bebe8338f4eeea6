#!/usr/bin/env bash
# The quantize command line: outputs, exit codes, one clear message per bad input, and no output
# files left behind by a failed run. Usage: cli_errors.sh QUANTIZE_BINARY SOURCE_DIR ONNX_TESTDATA_DIR
set -u
ONNX_DATA=$3
. "$2/tests/lib.sh" "$1" "$2"
MODEL="$SRC/testdata/models/smallcnn.onnx"
INPUT="$SRC/testdata/inputs/fashion_test_8.npy"
npy() { node -e "import('$SRC/tools/npy.mjs').then(m => m.writeNpy('$1', '$2', [$3], new $4($5)))"; }

# --- what works
expect_exit 0 "infer writes one .npy per output" "$QUANTIZE" infer "$MODEL" --input "input=$INPUT" -o "$WORK/ok"
[ -f "$WORK/ok/logits.npy" ] && ok "logits.npy exists" || fail "logits.npy missing"
expect_exit 0 "infer takes FILE alone for a one-input model" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/ok2"
expect_exit 0 "infer reads ONNX TensorProto .pb inputs" "$QUANTIZE" infer "$ONNX_DATA/node/test_relu/model.onnx" \
  --input "x=$ONNX_DATA/node/test_relu/test_data_set_0/input_0.pb" -o "$WORK/pb"
[ -f "$WORK/pb/y.npy" ] && ok "y.npy from a .pb input" || fail "y.npy missing"
expect_exit 0 "--input-shape fixes a dynamic dimension" "$QUANTIZE" infer "$MODEL" --input-shape input:8,1,28,28 --input "$INPUT" -o "$WORK/shape"
if "$QUANTIZE" parse-model "$MODEL" --json --layers > "$WORK/pm.json" 2>"$WORK/pm.err" && node -e "
  const j = JSON.parse(require('fs').readFileSync('$WORK/pm.json'));
  if (j.inputs[0].name !== 'input' || j.outputs[0].name !== 'logits' || j.op_counts.Conv.count !== 2 || j.layers.length !== 10) process.exit(1);"; then
  ok "parse-model --json --layers: valid JSON with inputs, outputs, op counts, layers"
else
  fail "parse-model --json output: $(head -c 300 "$WORK/pm.json")"
fi
[ ! -s "$WORK/pm.err" ] && ok "parse-model --json: nothing on stderr" || fail "parse-model --json wrote to stderr"
"$QUANTIZE" parse-model "$MODEL" --layers > "$WORK/pm.txt" 2>&1
grep -q "/c1/Conv  Conv  -> /c1/Conv_output_0" "$WORK/pm.txt" && ok "parse-model --layers lists node names and outputs" || fail "parse-model --layers: $(cat "$WORK/pm.txt")"
expect_exit 0 "ops lists the op table" "$QUANTIZE" ops

# --- bad model files
head -c 2000 "$MODEL" > "$WORK/truncated.onnx"
expect_exit 4 "truncated ONNX file" "$QUANTIZE" infer "$WORK/truncated.onnx" --input "$INPUT" -o "$WORK/bad1"
expect_stderr "truncated ONNX: says what and where" "truncated.onnx: not a valid ONNX model"
echo "hello, not a model" > "$WORK/text.onnx"
expect_exit 4 "a text file as model" "$QUANTIZE" parse-model "$WORK/text.onnx"
expect_stderr "text file: says it is not ONNX" "not a valid ONNX model"
expect_exit 3 "missing model file" "$QUANTIZE" infer "$WORK/nope.onnx" --input "$INPUT" -o "$WORK/bad2"
expect_stderr "missing model: names the file" "nope.onnx: no such model file"
expect_exit 6 "unsupported operator" "$QUANTIZE" infer "$ONNX_DATA/node/test_bernoulli/model.onnx" \
  --input "x=$ONNX_DATA/node/test_bernoulli/test_data_set_0/input_0.pb" -o "$WORK/bad3"
expect_stderr "unsupported op: names the node and op" "node 'Bernoulli_0' \(Bernoulli\): operator 'Bernoulli' is not supported"
# An Einsum equation with a typo: optimize (whose preparation leaves the node to its kernel) says
# what is wrong, naming the node, and writes nothing.
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
g = helper.make_graph([helper.make_node("Einsum", ["x", "x"], ["y"], name="scores", equation="ij,j1->i")], "g", [x], [y])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1] + "/bad_einsum.onnx")
np.save(sys.argv[1] + "/x23.npy", np.ones((2, 3), np.float32))
PY
expect_exit 5 "an Einsum equation with a typo" "$QUANTIZE" optimize "$WORK/bad_einsum.onnx" --calib "x=$WORK/x23.npy" -o "$WORK/bad_einsum.q.onnx"
expect_stderr "bad Einsum equation: names the node and the character" "node 'scores' \(Einsum\): Einsum equation 'ij,j1->i': unexpected character '1'"
[ ! -e "$WORK/bad_einsum.q.onnx" ] && ok "bad Einsum equation: nothing written" || fail "bad Einsum equation: output written"
# A Loop with neither a trip count nor a condition (ONNX's endless loop) is refused, not run forever.
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto as T
body = helper.make_graph([helper.make_node("Identity", ["c"], ["c_out"]), helper.make_node("Add", ["v", "one"], ["v_out"])], "body",
    [helper.make_tensor_value_info("i", T.INT64, []), helper.make_tensor_value_info("c", T.BOOL, []), helper.make_tensor_value_info("v", T.FLOAT, [1])],
    [helper.make_tensor_value_info("c_out", T.BOOL, []), helper.make_tensor_value_info("v_out", T.FLOAT, [1])])
g = helper.make_graph([helper.make_node("Loop", ["", "", "x"], ["y"], name="forever", body=body)], "g",
    [helper.make_tensor_value_info("x", T.FLOAT, [1])], [helper.make_tensor_value_info("y", T.FLOAT, [1])],
    [helper.make_tensor(name="one", data_type=T.FLOAT, dims=[1], vals=[1.0])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1] + "/forever.onnx")
np.save(sys.argv[1] + "/x1.npy", np.zeros(1, np.float32))
PY
expect_exit 5 "a Loop that never ends" timeout 20 "$QUANTIZE" infer "$WORK/forever.onnx" --input "x=$WORK/x1.npy" -o "$WORK/forever"
expect_stderr "endless Loop: says why, naming the node" "node 'forever' \(Loop\): a Loop with neither a trip count nor a condition input never ends"

# --- bad inputs
npy "$WORK/wrong_shape.npy" '<f4' '8, 1, 28, 27' Float32Array 8*28*27
expect_exit 7 "input of the wrong shape" "$QUANTIZE" infer "$MODEL" --input "input=$WORK/wrong_shape.npy" -o "$WORK/bad4"
expect_stderr "wrong shape: names the input and both shapes" "input 'input' must have shape \[N, 1, 28, 28\], got float32\[8, 1, 28, 27\]"
npy "$WORK/wrong_type.npy" '<f8' '8, 1, 28, 28' Float64Array 8*28*28
expect_exit 7 "input of the wrong dtype" "$QUANTIZE" infer "$MODEL" --input "input=$WORK/wrong_type.npy" -o "$WORK/bad5"
expect_stderr "wrong dtype: names input and types" "input 'input' must be float32, got float64"
expect_exit 3 "missing input file" "$QUANTIZE" infer "$MODEL" --input "input=$WORK/none.npy" -o "$WORK/bad6"
expect_stderr "missing input: names the file" "none.npy: no such file"
printf 'garbage' > "$WORK/corrupt.npy"
expect_exit 4 "corrupt .npy" "$QUANTIZE" infer "$MODEL" --input "input=$WORK/corrupt.npy" -o "$WORK/bad7"
expect_stderr "corrupt .npy: says why" "corrupt.npy: not a valid .npy file"
expect_exit 7 "unknown input name" "$QUANTIZE" infer "$MODEL" --input "image=$INPUT" -o "$WORK/bad8"
expect_stderr "unknown input: lists the real inputs" "no input named 'image' \(inputs: input\)"
expect_exit 2 "malformed --input-shape" "$QUANTIZE" infer "$MODEL" --input-shape input:8,x,28,28 --input "$INPUT" -o "$WORK/bad9"
expect_stderr "--input-shape: says what is wrong" "'x' is not a positive dimension"
expect_exit 2 "--input-shape against a fixed dim" "$QUANTIZE" infer "$MODEL" --input-shape input:8,3,28,28 --input "$INPUT" -o "$WORK/bad10"
expect_exit 2 "unknown option" "$QUANTIZE" infer "$MODEL" --bogus
expect_exit 2 "no subcommand" "$QUANTIZE"

# --- optimize / calibrate: bad calibration data and outputs
CALIB="$SRC/testdata/calib/fashion_100"
mkdir -p "$WORK/empty_calib"
expect_exit 3 "optimize: empty calibration folder" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/empty_calib" -o "$WORK/bad11.onnx"
expect_stderr "empty folder: says so" "empty_calib: no image files \(.png, .jpg, .jpeg, .bmp\) in this folder"
expect_exit 3 "optimize: missing calibration folder" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/nothing_here" -o "$WORK/bad12.onnx"
mkdir -p "$WORK/broken_images" && cp "$CALIB/00000_9.png" "$WORK/broken_images/" && echo "not a png" > "$WORK/broken_images/00001_0.png"
expect_exit 7 "optimize: an image that cannot be decoded" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/broken_images" -o "$WORK/bad13.onnx"
expect_stderr "undecodable image: names the file" "00001_0.png: cannot decode the image"
expect_exit 7 "optimize: .npy calibration data of the wrong shape" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/wrong_shape.npy" -o "$WORK/bad14.onnx"
expect_stderr "wrong-shape .npy: names file and expected shape" "wrong_shape.npy: shape \[8, 1, 28, 27\] fits neither one sample \[1, 28, 28\]"
expect_exit 7 "optimize: .npy calibration data of the wrong dtype" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/wrong_type.npy" -o "$WORK/bad15.onnx"
expect_stderr "wrong-dtype .npy: names file and types" "wrong_type.npy: holds float64, model input 'input' takes float32"
expect_exit 2 "optimize: --calib-size 0" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --calib-size 0 -o "$WORK/bad16.onnx"
expect_stderr "--calib-size 0: says so" "--calib-size: must be at least 1, got 0"
expect_exit 2 "optimize: --calib-size -5" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --calib-size -5 -o "$WORK/bad16.onnx"
expect_stderr "--calib-size -5: says so" "--calib-size: must be at least 1, got -5"
expect_exit 3 "optimize: output in a missing folder" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/no/such/dir/q.onnx"
expect_stderr "missing output folder: names it" "folder '.*no/such/dir' does not exist"
expect_exit 2 "optimize: unknown calibration method" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -m kl -o "$WORK/bad17.onnx"
expect_exit 2 "optimize: --std 0" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --std 0 -o "$WORK/bad18.onnx"
expect_exit 2 "optimize: rgb channel order on a 1-channel model" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --channel-order rgb -o "$WORK/bad19.onnx"
echo '{"format": "something else"}' > "$WORK/not_stats.json"
expect_exit 4 "optimize: --stats that is not a statistics file" "$QUANTIZE" optimize "$MODEL" --stats "$WORK/not_stats.json" -o "$WORK/bad20.onnx"
expect_exit 2 "calibrate: no --calib" "$QUANTIZE" calibrate "$MODEL" --stats-out "$WORK/bad21.json"
expect_exit 0 "shorthand: quantize MODEL.onnx --calib ... -o OUT" "$QUANTIZE" "$MODEL" --calib "$CALIB" --calib-size 10 -o "$WORK/short.onnx"
[ -f "$WORK/short.onnx" ] && [ -f "$WORK/short.json" ] && ok "shorthand wrote the model and its JSON" || fail "shorthand outputs missing"

# --- progress: a line with samples/s and ETA on a terminal, nothing of it otherwise
"$QUANTIZE" optimize "$MODEL" --calib "$CALIB" -o "$WORK/np.onnx" 2> "$WORK/np.err"
! grep -q "samples/s, ETA" "$WORK/np.err" && ok "no progress line when stderr is not a terminal" || fail "progress line in a non-terminal stderr"
if command -v script > /dev/null; then
  script -qc "'$QUANTIZE' optimize '$MODEL' --calib '$CALIB' -m entropy --batch-size 10 -o '$WORK/tty.onnx'" /dev/null > "$WORK/tty.out" 2>&1
  tr '\r' '\n' < "$WORK/tty.out" | grep -qE "calibrating: 100/100 samples, [0-9]+ samples/s, ETA 0 s" \
    && ok "progress line on a terminal: samples, samples/s, ETA" || fail "no progress line on a terminal: $(head -c 300 "$WORK/tty.out")"
fi

# --- calibration data that is not finite, malformed .npy headers, images of another size
/usr/bin/python3 - "$WORK" <<'PY'
import sys, numpy as np, zlib, struct
w = sys.argv[1]
np.save(f"{w}/inf.npy", np.full((4, 1, 28, 28), np.inf, np.float32))
x = np.zeros((4, 1, 28, 28), np.float32); x[2, 0, 3, 4] = np.nan; np.save(f"{w}/one_nan.npy", x)
np.save(f"{w}/objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 1, 28, 28), }"
header += " " * (63 - 10 - len(header)) + "\n"
open(f"{w}/negative.npy", "wb").write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 16)
def png(path, size):
    raw = b"".join(b"\0" + bytes((x * 7 + y) % 256 for x in range(size)) for y in range(size))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
import os; os.makedirs(f"{w}/big_images", exist_ok=True); png(f"{w}/big_images/a.png", 32); png(f"{w}/big_images/b.png", 32)
# y = Conv(x * 1e30 * 1e30): finite inputs, an activation that overflows to Inf
import onnx
from onnx import helper, TensorProto, numpy_helper
g = helper.make_graph(
    [helper.make_node("Mul", ["x", "big"], ["m1"]), helper.make_node("Mul", ["m1", "big"], ["m2"]), helper.make_node("Conv", ["m2", "w"], ["y"])],
    "overflow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    initializer=[numpy_helper.from_array(np.array(1e30, np.float32), "big"), numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32), "w")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{w}/overflow.onnx")
np.save(f"{w}/ones.npy", np.ones((2, 1, 4, 4), np.float32))
PY
expect_exit 7 "calibration data that is all Inf" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/inf.npy" -o "$WORK/bad40.onnx"
expect_stderr "names the sample and the element" "calibration sample .*inf.npy\[[0-3]\]: input 'input' holds Inf at element 0 of 784 \(calibration data must be finite\)"
expect_exit 7 "one NaN in the third sample" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/one_nan.npy" -o "$WORK/bad41.onnx"
expect_stderr "names the sample and the element" "one_nan.npy\[2\]: input 'input' holds NaN at element 88 of 784"
expect_exit 7 "an activation that overflows to Inf on finite data" "$QUANTIZE" optimize "$WORK/overflow.onnx" --calib "$WORK/ones.npy" -o "$WORK/bad42.onnx"
expect_stderr "names the tensor" "tensor 'm2': calibration saw values up to inf .*the float model overflows on the calibration data"
expect_exit 4 "a .npy with a negative dimension" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/negative.npy" -o "$WORK/bad43.onnx"
expect_stderr "gives the dimension with its sign" "negative dimension -3 in shape \(-3, 1, 28, 28\)"
expect_exit 6 "a .npy of Python objects" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/objects.npy" -o "$WORK/bad44.onnx"
expect_stderr "says what it is" "element type '\|O' \(Python objects\) is not supported: save a numeric array"
mkdir -p "$WORK/huge_image"
/usr/bin/python3 -c "
import zlib, struct
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open('$WORK/huge_image/a.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 20000, 20000, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\\0' * 100)) + chunk(b'IEND', b''))"
expect_exit 7 "an image header declaring 20000x20000 pixels" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/huge_image" -o "$WORK/bad45.onnx"
expect_stderr "refused before decoding" "the image is 20000x20000: more than the 67108864 pixels quant decodes"
mkdir -p "$WORK/png_bomb"
/usr/bin/python3 -c "
import zlib, struct
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open('$WORK/png_bomb/a.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\\0' * 50000000, 9)) + chunk(b'IEND', b''))"
expect_exit 7 "a 28x28 PNG whose data inflates to 50 MB" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/png_bomb" -o "$WORK/bad46.onnx"
expect_stderr "refused while inflating, bounded" "a.png: corrupt PNG: its image data inflates to more than the 812 bytes its header's size and format need"
expect_exit 0 "calibration images of another size" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/big_images" -o "$WORK/resized.onnx"
expect_stderr "are resized with a warning" "calibration images are resized \(bilinear\) to the model's 28x28: '.*[ab].png' is 32x32"
resized_note() {
  node -e "const c = JSON.parse(require('fs').readFileSync('$1')).$2;
    process.exit(/^input 'input': 2 of 2 images read were resized \(bilinear\) to the model's 28x28 \(first: '.*[ab].png' is 32x32\)$/.test((c.data_adjustments || [])[0]) ? 0 : 1)"
}
resized_note "$WORK/resized.json" calibration && ok "the params JSON records it (each image counted once over both passes)" || fail "no data_adjustments in resized.json"
expect_exit 0 "calibrate on resized images" "$QUANTIZE" calibrate "$MODEL" --calib "$WORK/big_images" --stats-out "$WORK/resized_stats.json"
resized_note "$WORK/resized_stats.json" "valueOf()" && ok "the statistics file records it" || fail "no data_adjustments in the statistics"
expect_exit 0 "optimize --stats from those" "$QUANTIZE" optimize "$MODEL" --stats "$WORK/resized_stats.json" -o "$WORK/resized2.onnx"
resized_note "$WORK/resized2.json" calibration && ok "and passes it on to the params JSON" || fail "no data_adjustments in resized2.json"

# --- infer's outputs: names that collide once sanitized, never over an input
/usr/bin/python3 - "$WORK/collide.onnx" "$WORK/x3.npy" <<'PY'
import sys, numpy as np
from onnx import helper, TensorProto
outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3]) for n in ["a/b", "a_b", "a?b"]]
nodes = [helper.make_node(op, ["x"], [n], name=op) for op, n in (("Relu", "a/b"), ("Neg", "a_b"), ("Abs", "a?b"))]
g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])], outs)
open(sys.argv[1], "wb").write(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
np.save(sys.argv[2], np.array([-1, 0, 2], np.float32))
PY
expect_exit 0 "infer: outputs a/b, a_b and a?b" "$QUANTIZE" infer "$WORK/collide.onnx" --input "$WORK/x3.npy" -o "$WORK/collide"
expect_stderr "the renamed ones are warned about" "output 'a\?b' is written as a_b_3.npy: a_b.npy is another output's"
/usr/bin/python3 -c "
import numpy as np, sys
d = '$WORK/collide/'
sys.exit(0 if list(np.load(d + 'a_b.npy')) == [0, 0, 2] and list(np.load(d + 'a_b_2.npy')) == [1, 0, -2] and list(np.load(d + 'a_b_3.npy')) == [1, 0, 2] else 1)" \
  && ok "three files, none overwritten (Relu, Neg, Abs in graph order)" || fail "collide: $(ls "$WORK/collide")"
cp "$WORK/collide/a_b.npy" "$WORK/collide/keep.npy"
expect_exit 2 "infer: an output file that is the --input" "$QUANTIZE" infer "$WORK/collide.onnx" --input "$WORK/collide/a_b.npy" -o "$WORK/collide"
expect_stderr "refused before running" "output 'a/b' '.*a_b.npy' is --input: writing it would replace a file this run reads"
cmp -s "$WORK/collide/a_b.npy" "$WORK/collide/keep.npy" && ok "the input is intact" || fail "the input was replaced"

# --- --version: quant and its libraries
"$QUANTIZE" --version > "$WORK/version.txt" 2>&1 && grep -qE "^quantize [0-9]+\.[0-9]+\.[0-9]+$" "$WORK/version.txt" \
  && grep -qE "^  ONNX 1\.[0-9]+\.[0-9]+" "$WORK/version.txt" && grep -qE "^  protobuf [0-9]" "$WORK/version.txt" && grep -qE "^  oneDNN [0-9]" "$WORK/version.txt" \
  && ok "--version names quant, ONNX, protobuf, oneDNN ($(tr '\n' ' ' < "$WORK/version.txt" | tr -s ' '))" || fail "--version: $(cat "$WORK/version.txt")"
expect_exit 0 "-q after the subcommand (global options follow it too)" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/quiet" -q
[ ! -s "$ERR_FILE" ] && ok "and it is quiet" || fail "-q after the subcommand still logged: $(head -c 200 "$ERR_FILE")"

# --- --json: every command prints one JSON document on stdout (logs on stderr), naming what it wrote
json_case() {
  local name=$1; shift
  if "$QUANTIZE" "$@" --json > "$WORK/json_out.txt" 2> "$WORK/json_err.txt" && node -e "
    const r = JSON.parse(require('fs').readFileSync('$WORK/json_out.txt', 'utf8'));
    const fs = require('fs');
    process.exit(r.command === '$name' && (r.files || []).every(f => fs.statSync(f.path).size === f.bytes) ? 0 : 1)"; then
    ok "$name --json: one JSON document on stdout, its files as written"
  else
    fail "$name --json: $(head -c 300 "$WORK/json_out.txt") $(head -c 300 "$WORK/json_err.txt")"
  fi
}
json_case optimize optimize "$MODEL" --calib "$CALIB" -o "$WORK/js.onnx"
json_case calibrate calibrate "$MODEL" --calib "$CALIB" --stats-out "$WORK/js_stats.json"
json_case prepare prepare "$MODEL" -o "$WORK/js_prep.onnx"
json_case infer infer "$MODEL" --input "$INPUT" -o "$WORK/js_infer"
json_case analyze analyze "$MODEL" "$WORK/js.onnx" --data "$INPUT" --report "$WORK/js_report" --no-sensitivity
json_case export export "$WORK/js.onnx" --encodings "$WORK/js.encodings"

# --- --threads N: a positive count
expect_exit 2 "--threads 0" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/bad_threads" --threads 0
expect_stderr "says the range" "--threads: Value 0 not in range 1 to 4096"
expect_exit 0 "--threads 1 after the subcommand" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/one_thread" --threads 1

# --- --max-memory bounds the tensor memory held at once, before each allocation
expect_exit 5 "--max-memory below what the model needs" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/bad60" --max-memory 100K
expect_stderr "names the tensor, its size and the limit" "smallcnn.onnx: tensor 'f1.weight': a tensor float32\[128, 1568\] of 784 KiB would bring the tensor memory in use \(.*\) above the limit of 100 KiB \(--max-memory 100K\)"
[ ! -e "$WORK/bad60" ] && ok "nothing written" || fail "infer wrote output over the limit"
expect_exit 0 "--max-memory before the subcommand, enough for the model" "$QUANTIZE" --max-memory 64M infer "$MODEL" --input "$INPUT" -o "$WORK/mem_ok"
expect_exit 2 "--max-memory that is not a size" "$QUANTIZE" infer "$MODEL" --input "$INPUT" -o "$WORK/bad61" --max-memory 12Q
expect_stderr "says what sizes look like" "'12Q' is not a memory size \(examples: 512M, 1.5G, 2T, 1000000\)"

# --- inputs the fuzzers found (testdata/fuzz/*/regression_*): each a clean, positioned error now
FUZZ="$SRC/testdata/fuzz"
expect_exit 4 "fuzz: a 24-digit optimization_level (was undefined behaviour)" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --script "$FUZZ/script/regression_huge_integer.alls" -o "$WORK/bad50.onnx"
expect_stderr "positioned, value shortened" "regression_huge_integer.alls:3:46: optimization_level is out of range"
expect_exit 4 "fuzz: a .npy element size of 15 digits (was an uncaught exception)" "$QUANTIZE" infer "$MODEL" --input "input=$FUZZ/npy/regression_descr_size.npy" -o "$WORK/bad51"
expect_stderr "names it" "element size '555555555555558' in 'descr' is not one .npy uses"
mkdir -p "$WORK/fuzz_png" && cp "$FUZZ/image/regression_chunk_length.png" "$WORK/fuzz_png/"
expect_exit 7 "fuzz: a PNG chunk declaring 1.6 GB in a 190-byte file (stb allocated 2 GB)" "$QUANTIZE" optimize "$MODEL" --calib "$WORK/fuzz_png" -o "$WORK/bad53.onnx"
expect_stderr "names the chunk" "regression_chunk_length.png: corrupt PNG: chunk 'IDAT' at byte 125 declares 1610612816 bytes of data, the file has 53 left"
expect_exit 4 "fuzz: a statistics file with a fractional count (was undefined behaviour)" "$QUANTIZE" optimize "$MODEL" --stats "$FUZZ/stats/regression_fractional_count.json" -o "$WORK/bad52.onnx"
expect_stderr "says what is wrong" "malformed statistics file: a histogram count is not a whole number >= 0"

# --- outputs never clobber inputs, each other, or what is not a regular file
cp "$MODEL" "$WORK/in.onnx"
expect_exit 2 "-o naming the input model" "$QUANTIZE" optimize "$WORK/in.onnx" --calib "$SRC/testdata/calib/fashion_100" -o "$WORK/in.onnx"
expect_stderr "the message says so" "-o '.*in.onnx' is the input model: writing it would replace a file this run reads"
cmp -s "$WORK/in.onnx" "$MODEL" && ok "the input model is intact" || fail "the input model was changed"
ln -s "$WORK/in.onnx" "$WORK/link.onnx"
expect_exit 2 "prepare -o naming the input through a link" "$QUANTIZE" prepare "$WORK/link.onnx" -o "$WORK/./in.onnx"
expect_exit 2 "--params equal to -o" "$QUANTIZE" optimize "$MODEL" --calib "$SRC/testdata/calib/fashion_100" -o "$WORK/same.onnx" --params "$WORK/same.onnx"
expect_stderr "the message names both" "--params and -o are the same file"
expect_exit 2 "-o naming a calibration file" "$QUANTIZE" optimize "$MODEL" --calib "$INPUT" -o "$INPUT"
mkfifo "$WORK/fifo.json"
expect_exit 3 "--params naming a FIFO" "$QUANTIZE" optimize "$MODEL" --calib "$SRC/testdata/calib/fashion_100" -o "$WORK/fifo.onnx" --params "$WORK/fifo.json"
expect_stderr "refused as not a regular file" "fifo.json: cannot write: it exists and is not a regular file"
! grep -q "calibrating" "$ERR_FILE" && ok "refused before calibrating" || fail "the FIFO was found only after calibration"
[ ! -e "$WORK/same.onnx" ] && [ ! -e "$WORK/fifo.onnx" ] && ok "refused runs wrote nothing" || fail "a refused run wrote output"

# --- a run killed at any moment leaves both outputs or neither, and no temporary file
/usr/bin/python3 -c "import numpy; numpy.save('$WORK/many.npy', numpy.random.default_rng(0).normal(size=(6000, 1, 28, 28)).astype(numpy.float32))"
for delay in 0.3 1 2 2.5 4; do
  rm -f "$WORK/kill.onnx" "$WORK/kill.json"
  "$QUANTIZE" -q optimize "$MODEL" --calib "$WORK/many.npy" -m entropy -o "$WORK/kill.onnx" 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  n=$(ls "$WORK"/kill.onnx "$WORK"/kill.json 2>/dev/null | wc -l)
  tmp=$(find "$WORK" -name 'kill.*.tmp.*' | wc -l)
  [ "$tmp" -eq 0 ] && { [ "$n" -eq 0 ] || [ "$n" -eq 2 ]; } && ok "SIGTERM after ${delay}s: $n of 2 outputs, no temporary file" ||
    fail "SIGTERM after ${delay}s: $n outputs, $tmp temporary files"
done

# The other writers, killed the same way: calibrate --stats-out and infer leave a complete file or none.
for delay in 0.3 1.5; do
  rm -rf "$WORK/kill_stats.json" "$WORK/kill_infer"
  "$QUANTIZE" -q calibrate "$MODEL" --calib "$WORK/many.npy" --stats-out "$WORK/kill_stats.json" 2>/dev/null &
  pid=$!
  "$QUANTIZE" -q infer "$MODEL" --input "$WORK/many.npy" -o "$WORK/kill_infer" 2>/dev/null &
  pid2=$!
  sleep "$delay"
  kill -TERM "$pid" "$pid2" 2>/dev/null
  wait "$pid" "$pid2" 2>/dev/null
  complete=1
  [ -e "$WORK/kill_stats.json" ] && ! node -e "JSON.parse(require('fs').readFileSync('$WORK/kill_stats.json'))" 2>/dev/null && complete=0
  [ -e "$WORK/kill_infer/logits.npy" ] && ! /usr/bin/python3 -c "import numpy; assert numpy.load('$WORK/kill_infer/logits.npy').shape == (6000, 10)" 2>/dev/null && complete=0
  tmp=$(find "$WORK" -name 'kill_*.tmp.*' -o -name 'logits.npy.tmp.*' | wc -l)
  [ "$complete" -eq 1 ] && [ "$tmp" -eq 0 ] && ok "calibrate and infer killed after ${delay}s: complete files or none, no temporary file" ||
    fail "calibrate/infer killed after ${delay}s: complete=$complete, $tmp temporary files"
done

# --- no partial output after any failure above
leftovers=$(ls -d "$WORK"/bad[0-9]* "$WORK"/no 2>/dev/null | wc -l)
[ "$leftovers" -eq 0 ] && ok "failed runs left no output folders or files" || fail "failed runs left output behind: $(ls -d "$WORK"/bad[0-9]*)"
[ -z "$(find "$WORK" -name '*.tmp.*')" ] && ok "no temporary files left" || fail "temporary files left behind"
finish
