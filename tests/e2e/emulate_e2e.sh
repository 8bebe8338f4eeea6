#!/usr/bin/env bash
# The integer emulator (quantize infer --emulate) against ONNX Runtime on the same QDQ models:
# smallcnn, dwnet and the policy quantized with --full-integer (every activation and output
# quantized), calibrated on one half of the data and run on the other. Prints the histogram of
# differences in quantization steps per output, and for dwnet per quantized tensor.
# Usage: emulate_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
PY=/usr/bin/python3
FASHION="$SRC/testdata/inputs/fashion_test_500.npy"
$PY -c "
import numpy as np
x = np.load('$FASHION')
np.save('$WORK/fashion_calib.npy', x[:250]); np.save('$WORK/fashion_fresh.npy', x[250:])"

# --step NAME=SCALE for each quantized output of a QDQ model, from parse-model's JSON.
output_steps() {
  "$QUANTIZE" -q parse-model "$1" --json | $PY -c "
import json, sys
print(' '.join('--step %s=%r' % (o['name'], o['qp_scale']) for o in json.load(sys.stdin)['quantization']['outputs']))"
}

# quantize_and_compare NAME MODEL CALIB FRESH INPUT_NAME MIN_EQUAL MAX_STEPS [OPTIMIZE_OPTION...]
quantize_and_compare() {
  local name=$1 model=$2 calib=$3 fresh=$4 input=$5 min_equal=$6 max_steps=$7
  shift 7
  local q="$WORK/$name.q.onnx"
  if ! "$QUANTIZE" -q optimize "$model" --calib "$calib" --full-integer -o "$q" "$@" 2>"$WORK/err"; then
    fail "$name: optimize failed: $(head -c 300 "$WORK/err")"; return
  fi
  if ! "$QUANTIZE" infer --emulate "$q" --input "$input=$fresh" -o "$WORK/$name.emu" 2>"$WORK/$name.log"; then
    fail "$name: infer --emulate failed: $(head -c 300 "$WORK/$name.log")"; return
  fi
  grep -m1 "emulating integer execution" "$WORK/$name.log"
  if grep -q "in float then requantized" "$WORK/$name.log"; then fail "$name: a node was not emulated in integers"; fi
  # shellcheck disable=SC2046
  if result=$(node "$SRC/tools/ort_step_agreement.mjs" "$q" "$WORK/$name.emu" $(output_steps "$q") \
                --min-equal "$min_equal" --max-steps "$max_steps" "$input=$fresh" 2>&1); then
    ok "$name: emulator vs ONNX Runtime: $result"
  else
    fail "$name: emulator vs ONNX Runtime: $result"
  fi
}

quantize_and_compare smallcnn "$SRC/testdata/models/smallcnn.onnx" "$WORK/fashion_calib.npy" "$WORK/fashion_fresh.npy" input 0.999 1
quantize_and_compare policy "$SRC/testdata/models/policy.onnx" "$SRC/testdata/inputs/policy_calib_x.npy" \
  "$SRC/testdata/inputs/policy_test_x_2000.npy" input 0.999 1
# 4-bit weights (int8 storage, values -8..7) on two layers.
printf 'quantization_param(/c2/Conv, precision_mode=a8_w4)\nquantization_param(/f1/Gemm, precision_mode=a8_w4)\n' > "$WORK/w4.alls"
quantize_and_compare smallcnn_w4 "$SRC/testdata/models/smallcnn.onnx" "$WORK/fashion_calib.npy" "$WORK/fashion_fresh.npy" input 0.999 1 \
  --script "$WORK/w4.alls"
# Every layer at 16 bits (int64 sums): a step of the 16-bit outputs is 1/65535 of their range, near
# float32's own resolution there, so ONNX Runtime's float arithmetic lands a few steps off on ~1%.
quantize_and_compare policy_a16 "$SRC/testdata/models/policy.onnx" "$SRC/testdata/inputs/policy_calib_x.npy" \
  "$SRC/testdata/inputs/policy_test_x_2000.npy" input 0.98 4 --script "$SRC/testdata/scripts/all_a16_w16.alls"
grep -q "int64 accumulator" <("$QUANTIZE" -v infer --emulate "$WORK/policy_a16.q.onnx" --input "input=$SRC/testdata/inputs/policy_calib_x.npy" \
  -o "$WORK/a16" 2>&1) && ok "16x16-bit layers sum in int64" || fail "no int64 accumulator in the all-16-bit policy"
# dwnet: 12 quantized layers deep, the last two at 16 bits. ONNX Runtime computes each Q/DQ layer in
# float32, the emulator in exact integers; the rare float rounding differences of the first layers
# (a few per ten million) grow layer by layer (the per-tensor table below shows it), to about 0.4% of
# the outputs one step apart (docs/emulate.md).
quantize_and_compare dwnet "$SRC/testdata/models/dwnet.onnx" "$WORK/fashion_calib.npy" "$WORK/fashion_fresh.npy" input 0.995 1

# Per quantized tensor of dwnet: every QuantizeLinear's output made a graph output of the model.
$PY - "$WORK/dwnet.q.onnx" "$WORK/dwnet.probe.onnx" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
types = {}
for init in m.graph.initializer: types[init.name] = init.data_type
for n in m.graph.node:
    if n.op_type == 'QuantizeLinear' and not n.output[0] in [o.name for o in m.graph.output]:
        m.graph.output.append(onnx.helper.make_tensor_value_info(n.output[0], types[n.input[2]], None))
onnx.save(m, sys.argv[2])
PY
if "$QUANTIZE" -q infer --emulate "$WORK/dwnet.probe.onnx" --input "input=$WORK/fashion_fresh.npy" -o "$WORK/probe.emu" 2>"$WORK/err"; then
  # shellcheck disable=SC2046
  node "$SRC/tools/ort_step_agreement.mjs" "$WORK/dwnet.probe.onnx" "$WORK/probe.emu" $(output_steps "$WORK/dwnet.q.onnx") \
    --min-equal 0 --max-steps 100000 "input=$WORK/fashion_fresh.npy" > "$WORK/probe.txt"
  sed 's/^ok  /     /' "$WORK/probe.txt"
  first=$(grep -m1 "f.2/Clip_output_0_quantized" "$WORK/probe.txt")
  if echo "$first" | grep -qE "(99\.99[0-9]|100\.000)% equal, max [01] step"; then
    ok "dwnet's first layer agrees with ONNX Runtime but for float rounding: $first"
  else
    fail "dwnet's first layer: $first"
  fi
else
  fail "dwnet probe: infer --emulate failed: $(head -c 300 "$WORK/err")"
fi

# --json reports how each node ran; a float model is refused.
if "$QUANTIZE" -q infer --emulate "$WORK/smallcnn.q.onnx" --input "input=$SRC/testdata/inputs/fashion_test_8.npy" -o "$WORK/j" --json > "$WORK/j.json" &&
   $PY -c "
import json
d = json.load(open('$WORK/j.json'))['emulation']
kinds = [n['execution'] for n in d['nodes']]
assert kinds.count('integer') == 4 and kinds.count('exact move') == 3, kinds
assert d['summary'].startswith('4 in integers (Conv 2, Gemm 2)'), d['summary']"; then
  ok "--json lists each node's execution"
else
  fail "--json emulation report"
fi
expect_exit 2 "--emulate on a float model" "$QUANTIZE" infer --emulate "$SRC/testdata/models/smallcnn.onnx" \
  --input "input=$SRC/testdata/inputs/fashion_test_8.npy" -o "$WORK/float"
expect_stderr "the message says what --emulate needs" "no quantized activation.*QDQ"
[ ! -e "$WORK/float" ] && ok "nothing written for the refused run" || fail "the refused run wrote $WORK/float"
finish
