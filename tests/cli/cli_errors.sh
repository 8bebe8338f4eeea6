#!/usr/bin/env bash
# The quantize command line: outputs, exit codes, one clear message per bad input, and no output
# files left behind by a failed run. Usage: cli_errors.sh QUANTIZE_BINARY SOURCE_DIR ONNX_TESTDATA_DIR
set -u
QUANTIZE=$1
SRC=$2
ONNX_DATA=$3
. "$SRC/tests/lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
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
expect_exit 6 "unsupported operator" "$QUANTIZE" infer "$ONNX_DATA/node/test_softplus/model.onnx" \
  --input "x=$ONNX_DATA/node/test_softplus/test_data_set_0/input_0.pb" -o "$WORK/bad3"
expect_stderr "unsupported op: names the node and op" "node 'Softplus_0' \(Softplus\): operator 'Softplus' is not supported"

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

# --- no partial output after any failure above
leftovers=$(ls -d "$WORK"/bad[0-9]* 2>/dev/null | wc -l)
[ "$leftovers" -eq 0 ] && ok "failed runs left no output folders or files" || fail "failed runs left output behind: $(ls -d "$WORK"/bad[0-9]*)"
[ -z "$(find "$WORK" -name '*.tmp.*')" ] && ok "no temporary files left" || fail "temporary files left behind"
finish
