#!/usr/bin/env bash
# The main job end to end on the bundled models: the QDQ model loads and runs in ONNX Runtime with
# almost the float accuracy, the parameters JSON agrees exactly with the model, results do not depend
# on batch size, saved statistics reproduce a calibration, and every output gets its own parameters.
# Usage: quantize_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
CNN="$SRC/testdata/models/smallcnn.onnx"
CALIB="$SRC/testdata/calib/fashion_100"
NORM=(--mean 72.93 --std 90.015)
X="$SRC/testdata/inputs/fashion_test_500.npy"
Y="$SRC/testdata/inputs/fashion_test_500_labels.npy"
top1() { node "$SRC/tools/evaluate.mjs" "$1" "$X" "$Y" | awk '{print $2}'; }

expect_exit 0 "optimize smallcnn on bundled PNGs" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/q.onnx"
[ -f "$WORK/q.json" ] && ok "params JSON written beside the model" || fail "q.json missing"
float=$(top1 "$CNN"); quant=$(top1 "$WORK/q.onnx")
if [ -n "$quant" ] && awk -v f="$float" -v q="$quant" 'BEGIN{exit !(f - q <= 0.01)}'; then
  ok "ONNX Runtime runs the QDQ model: top-1 $quant vs float $float (500 images)"
else
  fail "quantized top-1 '$quant' vs float '$float'"
fi
"$QUANTIZE" parse-model "$WORK/q.onnx" --json > "$WORK/parsed.json" 2>"$WORK/err"
if r=$(node "$SRC/tools/check_params.mjs" "$WORK/q.json" "$WORK/parsed.json"); then ok "params JSON agrees exactly with the model: $r"; else fail "params vs model: $r"; fi
node -e "const p=require('$WORK/parsed.json').quantization; if (p.inputs[0].qp_zp !== 73 || p.outputs.length !== 0 || !p.layers.some(l => l.weight === 'int8' && l.per_channel)) process.exit(1)" \
  && ok "parse-model shows input quant info, per-channel int8 layers and a float output (default)" || fail "parse-model quantization: $(head -c 300 "$WORK/parsed.json")"
expect_exit 0 "optimize --full-integer" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/fi.onnx" --full-integer
"$QUANTIZE" parse-model "$WORK/fi.onnx" --json > "$WORK/fi_parsed.json" 2>"$WORK/err"
node -e "const p=require('$WORK/fi_parsed.json').quantization, j=require('$WORK/fi.json'); if (p.outputs.length !== 1 || j.policy !== 'full_integer' || require('$WORK/q.json').policy !== 'default') process.exit(1)" \
  && ok "--full-integer quantizes the output too; the JSON names the policy" || fail "--full-integer output: $(head -c 300 "$WORK/fi_parsed.json")"

# --keep-float: the named layer (a {glob} here) and the Relu fused to it compute in float, its weight
# stays float (not an accident --strict refuses); the JSON says why; ONNX Runtime runs the model.
expect_exit 0 "--keep-float {/c1/*} --strict" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/kf.onnx" --keep-float '{/c1/*}' --strict
expect_stderr "says which layers it left float, and why" "left float \\(kept float \\(--keep-float\\), 2\\): /c1/Conv, /r1/Relu"
node -e "
  const j = require('$WORK/kf.json'), kept = j.float_nodes.filter(f => f.reason === 'kept float (--keep-float)').map(f => f.node);
  const w = j.tensors.filter(t => t.role === 'weight').map(t => t.name);
  if (kept.join() !== '/c1/Conv,/r1/Relu' || w.includes('c1.weight') || !w.includes('c2.weight') || j.tensors.some(t => t.name === 'input')) process.exit(1)" \
  && ok "the JSON lists /c1/Conv and /r1/Relu as kept float; c1's weight and the input are not quantized, c2's weight is" || fail "--keep-float JSON: $(head -c 400 "$WORK/kf.json")"
"$QUANTIZE" parse-model "$WORK/kf.onnx" --json > "$WORK/kf_parsed.json" 2>"$WORK/err"
if r=$(node "$SRC/tools/check_params.mjs" "$WORK/kf.json" "$WORK/kf_parsed.json"); then ok "--keep-float: params JSON agrees with the model: $r"; else fail "--keep-float params vs model: $r"; fi
"$QUANTIZE" parse-model "$WORK/kf.onnx" > "$WORK/kf_parsed.txt" 2>"$WORK/err"
grep -q "Input quantization: none (float)" "$WORK/kf_parsed.txt" && grep -qE "^  /c1/Conv +Conv +float +- " "$WORK/kf_parsed.txt" \
  && ok "parse-model shows the float input and the float first layer" || fail "parse-model of the --keep-float model: $(head -c 600 "$WORK/kf_parsed.txt")"
kf=$(top1 "$WORK/kf.onnx")
awk -v f="$float" -v q="$kf" 'BEGIN{exit !(q != "" && f - q <= 0.01)}' && ok "ONNX Runtime runs it: top-1 $kf vs float $float" || fail "--keep-float top-1 '$kf' vs float '$float'"
expect_exit 2 "--keep-float with a name the model lacks" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/kf2.onnx" --keep-float /c1/Cnv
expect_stderr "names the option and the closest layers" "--keep-float: no layer matches '/c1/Cnv' \\(closest layers: /c1/Conv"
[ ! -e "$WORK/kf2.onnx" ] && ok "writes no model" || fail "kf2.onnx written"

expect_exit 0 "--keep-float-ops Gemm" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/ko.onnx" --keep-float-ops Gemm
node -e "
  const j = require('$WORK/ko.json'), kept = j.float_nodes.filter(f => f.reason === 'kept float (--keep-float-ops)').map(f => f.node);
  if (kept.join() !== '/f1/Gemm,/r3/Relu,/f2/Gemm' || j.tensors.some(t => t.name === 'f1.weight') || !j.tensors.some(t => t.name === 'c2.weight')) process.exit(1)" \
  && ok "--keep-float-ops Gemm: both Gemms (and the Relu fused to one) float, the Convs quantized" || fail "--keep-float-ops JSON: $(head -c 400 "$WORK/ko.json")"
expect_exit 2 "--keep-float-ops with an op type the model lacks" "$QUANTIZE" optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -o "$WORK/ko2.onnx" --keep-float-ops Gem
expect_stderr "lists the model's op types" "--keep-float-ops: no node of op type 'Gem' in the model as prepared \\(its op types after opset upgrade and folding: Conv, Flatten, Gemm, MaxPool, Relu\\)"

# Same parameters whatever the batch size, and from saved statistics.
for m in minmax percentile entropy mse; do
  "$QUANTIZE" -q optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -m $m --batch-size 7 -o "$WORK/b7_$m.onnx"
  "$QUANTIZE" -q optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -m $m --batch-size 64 -o "$WORK/b64_$m.onnx"
  if node -e "const a=require('$WORK/b7_$m.json').tensors, b=require('$WORK/b64_$m.json').tensors; process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1)"; then
    ok "$m: identical parameters with batch sizes 7 and 64"
  else
    fail "$m: parameters depend on the batch size"
  fi
done
OMP_NUM_THREADS=1 "$QUANTIZE" -q optimize "$CNN" --calib "$CALIB" "${NORM[@]}" -m entropy -o "$WORK/t1.onnx"
node -e "process.exit(JSON.stringify(require('$WORK/t1.json').tensors) === JSON.stringify(require('$WORK/b7_entropy.json').tensors) ? 0 : 1)" \
  && ok "entropy: identical parameters with 1 thread and with all cores" || fail "parameters depend on the thread count"
expect_exit 0 "calibrate --stats-out" "$QUANTIZE" calibrate "$CNN" --calib "$CALIB" "${NORM[@]}" --stats-out "$WORK/stats.json"
for m in minmax entropy; do
  "$QUANTIZE" -q optimize "$CNN" --stats "$WORK/stats.json" -m $m -o "$WORK/s_$m.onnx"
  node -e "const a=require('$WORK/s_$m.json').tensors, b=require('$WORK/b7_$m.json').tensors; process.exit(JSON.stringify(a) === JSON.stringify(b) ? 0 : 1)" \
    && ok "$m from saved statistics = direct calibration" || fail "$m: --stats gives other parameters"
done

# The two-output policy: each output its own parameters, errors reported against float.
POLICY="$SRC/testdata/models/policy.onnx"
expect_exit 0 "optimize the policy on .npy calibration data (--full-integer: outputs quantized)" "$QUANTIZE" optimize "$POLICY" --calib "$SRC/testdata/inputs/policy_calib_x.npy" -o "$WORK/p.onnx" --full-integer
node -e "
  const t = require('$WORK/p.json').tensors, p = t.find(x => x.name === 'out_pedal'), s = t.find(x => x.name === 'out_steer');
  if (!p || !s || p.role !== 'output' || p.qp_zp !== 0 || s.qp_zp < 120 || s.qp_zp > 136 || p.qp_scale === s.qp_scale) process.exit(1)" \
  && ok "policy outputs: out_pedal (zp 0) and out_steer (zp ~128) have their own parameters" || fail "policy output parameters"
if r=$(node "$SRC/tools/compare_models.mjs" "$POLICY" "$WORK/p.onnx" "$SRC/testdata/inputs/policy_calib_x.npy"); then
  echo "$r" | awk '{ if ($3 > 0.15) bad = 1 } END { exit bad }' && ok "policy errors vs float: $(echo $r)" || fail "policy error too large: $r"
else
  fail "policy comparison did not run"
fi

# A model with two inputs takes --calib NAME=PATH per input (ONNX's own Add test model, from libonnx-testdata).
ADD=/usr/include/onnx/backend/test/data/node/test_add/model.onnx
if [ -f "$ADD" ]; then
  node -e "import('$SRC/tools/npy.mjs').then(m => { for (const [n, k] of [['x', 1], ['y', -2]]) m.writeNpy('$WORK/' + n + '.npy', '<f4', [3, 4, 5], new Float32Array(60).map((_, i) => k * (i - 20) / 10)); })"
  expect_exit 0 "two inputs: --calib x=... --calib y=..." "$QUANTIZE" optimize "$ADD" --calib "x=$WORK/x.npy" --calib "y=$WORK/y.npy" -o "$WORK/add.onnx" --full-integer
  node -e "const t=require('$WORK/add.json').tensors; const x=t.find(a=>a.name==='x'), y=t.find(a=>a.name==='y'); process.exit(x && y && x.role==='input' && y.role==='input' && x.range_max > 3.8 && y.range_min < -7.8 ? 0 : 1)" \
    && ok "each input has its own calibrated parameters" || fail "two-input parameters"
  expect_exit 2 "two inputs: an input without data is named" "$QUANTIZE" optimize "$ADD" --calib "x=$WORK/x.npy" -o "$WORK/add2.onnx"
  expect_stderr "names the missing input" "no calibration data for model input 'y'"
  expect_exit 6 "a model with no compute op: nothing to quantize by default" "$QUANTIZE" optimize "$ADD" --calib "x=$WORK/x.npy" --calib "y=$WORK/y.npy" -o "$WORK/add3.onnx"
  expect_stderr "says why and what to do" "nothing to quantize by default: the model has no Conv, ConvTranspose, Gemm or MatMul"
  [ ! -e "$WORK/add3.onnx" ] && ok "writes no model" || fail "add3.onnx written"
fi

# fp16 weights: half the bytes, same answers.
expect_exit 0 "--fp16" "$QUANTIZE" optimize "$CNN" --fp16 -o "$WORK/h.onnx"
[ "$(top1 "$WORK/h.onnx")" = "$float" ] && ok "fp16-weight model keeps the float top-1" || fail "fp16 top-1 differs"
finish
