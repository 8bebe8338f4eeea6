#!/usr/bin/env bash
# The corpus of real architectures (testdata/corpus, PyTorch exports made by tools/make_corpus.py;
# ResNet-18 and MobileNetV2 at 224x224 are generated once into LARGE_DIR, too large to commit):
# for each model, the float interpreter equals ONNX Runtime (1e-4), `optimize --strict` succeeds
# (no Conv/Gemm/MatMul/ConvTranspose weight left float), ONNX Runtime runs the quantized model, the
# INT8 top-1 (trained models, 500 held-out test images) or output SQNR (random-weight models, inputs
# not used for calibration) holds the figure recorded in docs/accuracy.md with a margin, and the
# output SQNR is at or above the naive ORT-style baseline's (tools/naive_quantize.py) on the same
# prepared graph and calibration data. A model with a fixed input (the VAD-shaped model's sample
# rate, NAME=VALUE in the list) runs with that value as an int64 scalar; it is quantized with
# `--input-value NAME=VALUE` (its If inlined), and judged against the float model prepared the same
# way, which must equal the original in ONNX Runtime.
# Usage: corpus_e2e.sh QUANTIZE_BINARY SOURCE_DIR LARGE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
DATA="$SRC/testdata/corpus"
LARGE="$3"
if [ ! -f "$LARGE/mobilenetv2_224.test.npy" ]; then
  rm -rf "$LARGE.tmp"
  if /usr/bin/python3 "$SRC/tools/make_corpus.py" "$LARGE.tmp" --large > "$WORK/generate.log" 2>&1; then
    rm -rf "$LARGE" && mv "$LARGE.tmp" "$LARGE" && ok "generated ResNet-18 and MobileNetV2 at 224x224 into $LARGE"
  else
    fail "tools/make_corpus.py --large: $(tail -c 400 "$WORK/generate.log")"
  fi
fi
# The lowest output SQNR (dB) of QUANT.onnx against FLOAT.onnx in ONNX Runtime on INPUTS.npy.
sqnr() { node "$SRC/tools/compare_models.mjs" "$1" "$2" "$3" 2>/dev/null | sed -n 's/.*sqnr_db \([0-9.-]*\).*/\1/p' | sort -n | head -1; }
TEST_X="$SRC/testdata/inputs/fashion_test_500.npy"
TEST_Y="$SRC/testdata/inputs/fashion_test_500_labels.npy"

# model, its data (fashion: calibrate on fashion_calib_128.npy, judge on the 500 test images; own:
# NAME.calib.npy and NAME.test.npy; own:OTHER: OTHER's; large: the same in LARGE_DIR), judged by, bound: the largest top-1 drop in points (accuracy)
# or the smallest output SQNR in dB; optionally a fixed input NAME=VALUE.
while read -r model data measure bound fixed; do
  result=""
  case $data in
    fashion) calib="$DATA/fashion_calib_128.npy"; test="$TEST_X" ;;
    own) calib="$DATA/$model.calib.npy"; test="$DATA/$model.test.npy" ;;
    own:*) calib="$DATA/${data#own:}.calib.npy"; test="$DATA/${data#own:}.test.npy" ;;
    large) calib="$LARGE/$model.calib.npy"; test="$LARGE/$model.test.npy" ;;
  esac
  MODEL="$DATA/$model.onnx"
  [ "$data" = large ] && MODEL="$LARGE/$model.onnx"
  feeds=("input=$test") fix=()
  REF="$MODEL"  # the float model the quantized one is judged against
  if [ -n "$fixed" ]; then
    /usr/bin/python3 -c "import numpy; numpy.save('$WORK/${fixed%%=*}.npy', numpy.array(${fixed#*=}, numpy.int64))"
    feeds+=("${fixed%%=*}=$WORK/${fixed%%=*}.npy")
    fix=(--input-value "$fixed")
    REF="$WORK/$model.fixed.onnx"
    "$QUANTIZE" -q prepare "$MODEL" "${fix[@]}" -o "$REF" || fail "$model: prepare --input-value $fixed failed"
  fi
  if "$QUANTIZE" -q infer "$MODEL" "${feeds[@]/#/--input=}" -o "$WORK/$model.float" &&
     result=$(node "$SRC/tools/ort_compare.mjs" "$MODEL" "$WORK/$model.float" --tol 1e-4 "${feeds[@]}" 2>&1); then
    ok "$model: float interpreter equals ONNX Runtime"
  else
    fail "$model: float interpreter vs ONNX Runtime: ${result:-infer failed}"
  fi
  if [ -n "$fixed" ]; then
    result=$(node "$SRC/tools/ort_compare.mjs" "$REF" "$WORK/$model.float" --tol 1e-4 "input=$test" 2>&1) &&
      ok "$model: prepared with --input-value $fixed (If inlined) it computes what the original does with $fixed" ||
      fail "$model: the model prepared with --input-value $fixed differs: $result"
  fi
  "$QUANTIZE" prepare "$MODEL" "${fix[@]}" -o "$WORK/$model.prepared.onnx" 2>"$WORK/prepare.log" &&
    ! grep -q "without a full type and shape" "$WORK/prepare.log" && ok "$model: prepare gives every tensor a type and shape" ||
    fail "$model: prepare: $(grep -E 'warn|error' "$WORK/prepare.log" | head -c 300)"
  if ! "$QUANTIZE" -q optimize "$MODEL" "${fix[@]}" --calib "$calib" -o "$WORK/$model.q.onnx" --strict 2>"$WORK/err"; then
    fail "$model: optimize --strict failed: $(head -c 300 "$WORK/err")"
    continue
  fi
  # The weights quantized are exactly the Conv/Gemm/MatMul/ConvTranspose weights of the prepared
  # model (distinct initializers such nodes read; a tied weight counts once).
  expected=$(/usr/bin/python3 -c "
import onnx
g = onnx.load('$WORK/$model.prepared.onnx').graph
inits = {i.name for i in g.initializer}
print(len({x for n in g.node if n.op_type in ('Conv', 'Gemm', 'MatMul', 'ConvTranspose') for x in n.input[:2] if x in inits}))")
  got=$(node -e "const j = JSON.parse(require('fs').readFileSync('$WORK/$model.q.json'));
    console.log(j.nodes.float_weights === 0 ? j.tensors.filter(t => t.role === 'weight').length : -1)")
  [ -n "$expected" ] && [ "$expected" -gt 0 ] && [ "$got" = "$expected" ] \
    && ok "$model: optimize --strict quantized every weight ($got of $expected Conv/Gemm/MatMul/ConvTranspose weights)" \
    || fail "$model: $got weights quantized (-1: some left float), $expected in the prepared model ($WORK/$model.q.json)"
  # Every Conv/Gemm/MatMul reads only dequantized tensors: weights, and both activations of an
  # attention MatMul (Q·Kᵀ, A·V).
  "$QUANTIZE" parse-model "$WORK/$model.q.onnx" --json --layers > "$WORK/$model.layers.json" 2>/dev/null
  if node -e "
    const j = JSON.parse(require('fs').readFileSync('$WORK/$model.layers.json'));
    const dq = new Set(j.layers.filter(l => l.op_type === 'DequantizeLinear').flatMap(l => l.outputs));
    const bad = j.layers.filter(l => ['Conv', 'Gemm', 'MatMul', 'ConvTranspose'].includes(l.op_type))
                        .filter(l => !l.inputs.filter(i => i).every(i => dq.has(i))).map(l => l.name);
    if (bad.length) { console.log(bad.join(' ')); process.exit(1); }" >"$WORK/err" 2>&1; then
    ok "$model: every Conv/Gemm/MatMul input is quantized (activation x activation MatMuls too)"
  else
    fail "$model: float inputs to $(cat "$WORK/err")"
  fi
  if [ "$measure" = accuracy ]; then
    f=$(node "$SRC/tools/evaluate.mjs" "$REF" "$TEST_X" "$TEST_Y" | awk '{print $2}')
    q=$(node "$SRC/tools/evaluate.mjs" "$WORK/$model.q.onnx" "$TEST_X" "$TEST_Y" | awk '{print $2}')
    if [ -n "$q" ] && awk "BEGIN{exit !(($f - $q) * 100 <= $bound)}"; then
      ok "$model: INT8 top-1 $q vs float $f in ONNX Runtime (drop <= $bound points)"
    else
      fail "$model: INT8 top-1 '$q' vs float '$f' (allowed drop $bound points)"
    fi
  else
    sqnr=$(sqnr "$REF" "$WORK/$model.q.onnx" "$test")
    if [ -n "$sqnr" ] && awk "BEGIN{exit !($sqnr >= $bound)}"; then
      ok "$model: INT8 output SQNR $sqnr dB in ONNX Runtime (>= $bound)"
    else
      fail "$model: INT8 output SQNR '$sqnr' dB (bound $bound)"
    fi
  fi
  # Default INT8 at or above the naive baseline, on the same prepared graph and calibration data.
  /usr/bin/python3 "$SRC/tools/naive_quantize.py" "$WORK/$model.prepared.onnx" "$calib" "$WORK/$model.naive.onnx" "$QUANTIZE" >/dev/null 2>"$WORK/err" ||
    fail "$model: naive baseline: $(head -c 300 "$WORK/err")"
  ours=$(sqnr "$REF" "$WORK/$model.q.onnx" "$test")
  naive=$(sqnr "$REF" "$WORK/$model.naive.onnx" "$test")
  if [ -n "$ours" ] && [ -n "$naive" ] && awk "BEGIN{exit !($ours >= $naive)}"; then
    ok "$model: output SQNR $ours dB >= naive baseline's $naive dB"
  else
    fail "$model: output SQNR '$ours' dB below the naive baseline's '$naive' dB"
  fi
done <<'MODELS'
vit_tiny_opset13 fashion accuracy 1.5
vit_tiny_opset17 fashion accuracy 1.5
gru_rows         fashion accuracy 1.5
lstm_rows        fashion accuracy 1.5
vad_if_lstm      fashion accuracy 1.5 sr=16000
cnn_opset9       fashion sqnr     49
constant_weights fashion sqnr     49
conv1d_audio     own     sqnr     45
yolo_head        own     sqnr     55
yolo_nms         own:yolo_head sqnr 62
einsum_attention fashion sqnr     30
resnet18_224     large   sqnr     33
mobilenetv2_224  large   sqnr     35
MODELS

# --keep-float on a real transformer: block 0's attention kept float (its projections' weights stay
# float, --strict still passes), the rest quantized; judged on the 500 test images in ONNX Runtime,
# the output is at least as close to float as the all-INT8 model's.
VIT="$DATA/vit_tiny_opset17.onnx"
if "$QUANTIZE" -q optimize "$VIT" --calib "$DATA/fashion_calib_128.npy" -o "$WORK/vit_kept.onnx" --keep-float '{/blocks/blocks.0/attn/*}' --strict 2>"$WORK/err"; then
  node -e "
    const j = JSON.parse(require('fs').readFileSync('$WORK/vit_kept.json'));
    const kept = j.float_nodes.filter(f => f.reason === 'kept float (--keep-float)');
    const w = new Set(j.tensors.filter(t => t.role === 'weight').flatMap(t => t.consumers));
    if (!kept.some(f => f.op_type === 'MatMul') || kept.some(f => w.has(f.node)) || !w.size || j.nodes.float_weights !== 0) process.exit(1)" \
    && ok "vit_tiny_opset17 --keep-float: block 0's attention float (no quantized weight), every other weight quantized" \
    || fail "vit_tiny_opset17 --keep-float JSON ($WORK/vit_kept.json)"
  kept=$(sqnr "$VIT" "$WORK/vit_kept.onnx" "$TEST_X"); all=$(sqnr "$VIT" "$WORK/vit_tiny_opset17.q.onnx" "$TEST_X")
  [ -n "$kept" ] && [ -n "$all" ] && awk "BEGIN{exit !($kept >= $all)}" \
    && ok "vit_tiny_opset17 --keep-float: output SQNR $kept dB >= $all dB all-INT8 (ONNX Runtime, test images)" \
    || fail "vit_tiny_opset17 --keep-float: SQNR '$kept' vs all-INT8 '$all'"
else
  fail "vit_tiny_opset17 --keep-float: $(head -c 300 "$WORK/err")"
fi

# A detector's post-processing: NonMaxSuppression stays float, named with its reason in the JSON,
# and the quantized model in ONNX Runtime keeps the float model's selection on most rows (the
# SQNR of the decoded boxes and scores is checked above).
node -e "
  const j = JSON.parse(require('fs').readFileSync('$WORK/yolo_nms.q.json'));
  const nms = j.float_nodes.filter(f => f.op_type === 'NonMaxSuppression');
  if (nms.length !== 1 || nms[0].reason !== 'integer tensor') process.exit(1)" \
  && ok "yolo_nms: NonMaxSuppression left float, reason 'integer tensor' in the JSON" \
  || fail "yolo_nms: NonMaxSuppression not recorded as float ($WORK/yolo_nms.q.json)"
# A Loop (torch.jit.script's loop over rows): the float interpreter equals ONNX Runtime; the body
# runs in float and its weights are listed as float (so --strict refuses them); the stem's output,
# which reaches the body through Transpose and Reshape, stays float, named in the JSON, because
# ONNX Runtime aborts on a Q/DQ pair there; ONNX Runtime runs the quantized model; SQNR >= naive.
LOOP="$DATA/loop_rows.onnx"
"$QUANTIZE" -q infer "$LOOP" "--input=input=$TEST_X" -o "$WORK/loop.float" &&
  result=$(node "$SRC/tools/ort_compare.mjs" "$LOOP" "$WORK/loop.float" --tol 1e-4 "input=$TEST_X" 2>&1) &&
  ok "loop_rows: float interpreter equals ONNX Runtime (Loop)" || fail "loop_rows: float vs ONNX Runtime: $result"
expect_exit 6 "loop_rows: --strict refuses the weights inside the Loop body" \
  "$QUANTIZE" optimize "$LOOP" --calib "$DATA/fashion_calib_128.npy" -o "$WORK/loop_strict.onnx" --strict
expect_stderr "loop_rows --strict: names them" "inp.weight of Gemm '/inp/Gemm': weight inside Loop '/Loop' body \(subgraphs run in float\)"
if "$QUANTIZE" -q optimize "$LOOP" --calib "$DATA/fashion_calib_128.npy" -o "$WORK/loop.q.onnx" 2>"$WORK/err"; then
  node -e "
    const j = JSON.parse(require('fs').readFileSync('$WORK/loop.q.json'));
    const t = j.float_tensors.map(f => f.tensor + ': ' + f.reason).join();
    const inner = j.float_nodes.filter(f => f.reason === \"inside Loop '/Loop' body (subgraphs run in float)\").length;
    if (!t.startsWith(\"/Relu_output_0: read inside Loop '/Loop' (through Transpose '/Transpose', Reshape '/Reshape')\") || inner !== 6 ||
        j.tensors.some(q => q.name === '/Relu_output_0')) { console.log(t, inner); process.exit(1); }" >"$WORK/err" 2>&1 \
    && ok "loop_rows: the body's nodes listed as float; the value the body reads through Transpose/Reshape stays float, with the path" \
    || fail "loop_rows JSON: $(cat "$WORK/err")"
  /usr/bin/python3 "$SRC/tools/naive_quantize.py" "$LOOP" "$DATA/fashion_calib_128.npy" "$WORK/loop.naive.onnx" "$QUANTIZE" >/dev/null 2>&1
  ours=$(sqnr "$LOOP" "$WORK/loop.q.onnx" "$TEST_X"); naive=$(sqnr "$LOOP" "$WORK/loop.naive.onnx" "$TEST_X")
  [ -n "$ours" ] && awk "BEGIN{exit !($ours >= 38 && $ours >= ${naive:-0})}" \
    && ok "loop_rows: ONNX Runtime runs the quantized model, output SQNR $ours dB (>= 38, naive $naive dB)" \
    || fail "loop_rows: SQNR '$ours' (naive '$naive')"
else
  fail "loop_rows: optimize: $(head -c 300 "$WORK/err")"
fi

selection=$(node "$SRC/tools/compare_models.mjs" "$DATA/yolo_nms.onnx" "$WORK/yolo_nms.q.onnx" "$DATA/yolo_head.test.npy" 2>&1 | grep '^selected:')
differ=$(echo "$selection" | sed -n 's/.*differs in \([0-9]*\) of.*/\1/p')
case $selection in
  *equal*) ok "yolo_nms: the quantized model selects the float model's boxes ($selection)" ;;
  *"differs in"*) [ "$differ" -le 6 ] && ok "yolo_nms: the quantized model's selection is the float one's but for $differ indices ($selection)" ||
                  fail "yolo_nms: selection differs: $selection" ;;
  *) fail "yolo_nms: no comparable selection: '$selection'" ;;
esac
# analyze compares the selected indices whole (no SQNR of indices), and a sweep ranks by the boxes'
# and scores' SQNR only.
"$QUANTIZE" -q analyze "$DATA/yolo_nms.onnx" "$WORK/yolo_nms.q.onnx" --data "$DATA/yolo_head.test.npy" --report "$WORK/yolo_report" --no-sensitivity &&
  node -e "
    const o = JSON.parse(require('fs').readFileSync('$WORK/yolo_report/report.json')).outputs;
    const s = o.find(x => x.name === 'selected'), b = o.find(x => x.name === 'boxes');
    if (s.sqnr_db !== undefined || s.compared_whole_samples !== 8 || s.differing_samples > 4 || !(b.sqnr_db > 60)) { console.log(JSON.stringify(o)); process.exit(1); }" >"$WORK/err" 2>&1 &&
  ok "yolo_nms analyze: the selected indices compared whole, the boxes by SQNR" || fail "yolo_nms analyze: $(cat "$WORK/err")"
"$QUANTIZE" -q sweep "$DATA/yolo_nms.onnx" --calib "$DATA/yolo_head.calib.npy" --data "$DATA/yolo_head.test.npy" --methods minmax -o "$WORK/yolo_sweep" &&
  sqnr_sweep=$(awk -F, 'NR == 2 {print $8}' "$WORK/yolo_sweep/sweep.csv") && awk "BEGIN{exit !($sqnr_sweep > 60)}" &&
  ok "yolo_nms sweep: SQNR $sqnr_sweep dB, from the float outputs alone" || fail "yolo_nms sweep: SQNR '${sqnr_sweep:-}'"
finish
