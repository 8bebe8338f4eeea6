#!/usr/bin/env bash
# The corpus of real architectures (testdata/corpus, PyTorch exports made by tools/make_corpus.py):
# for each model, the float interpreter equals ONNX Runtime (1e-4), `optimize --strict` succeeds
# (no Conv/Gemm/MatMul/ConvTranspose weight left float), ONNX Runtime runs the quantized model, and
# the INT8 top-1 (trained models, 500 held-out test images) or output SQNR (random-weight models,
# inputs not used for calibration) holds the figure recorded in docs/accuracy.md, with a margin.
# Usage: corpus_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
DATA="$SRC/testdata/corpus"
TEST_X="$SRC/testdata/inputs/fashion_test_500.npy"
TEST_Y="$SRC/testdata/inputs/fashion_test_500_labels.npy"

# model, its data (fashion: calibrate on fashion_calib_128.npy, judge on the 500 test images; own:
# NAME.calib.npy and NAME.test.npy), judged by, bound: the largest top-1 drop in points (accuracy)
# or the smallest output SQNR in dB.
while read -r model data measure bound; do
  result=""
  case $data in
    fashion) calib="$DATA/fashion_calib_128.npy"; test="$TEST_X" ;;
    *) calib="$DATA/$model.calib.npy"; test="$DATA/$model.test.npy" ;;
  esac
  if "$QUANTIZE" -q infer "$DATA/$model.onnx" --input "input=$test" -o "$WORK/$model.float" &&
     result=$(node "$SRC/tools/ort_compare.mjs" "$DATA/$model.onnx" "$WORK/$model.float" --tol 1e-4 "input=$test" 2>&1); then
    ok "$model: float interpreter equals ONNX Runtime"
  else
    fail "$model: float interpreter vs ONNX Runtime: ${result:-infer failed}"
  fi
  if ! "$QUANTIZE" -q optimize "$DATA/$model.onnx" --calib "$calib" -o "$WORK/$model.q.onnx" --strict 2>"$WORK/err"; then
    fail "$model: optimize --strict failed: $(head -c 300 "$WORK/err")"
    continue
  fi
  node -e "const j = JSON.parse(require('fs').readFileSync('$WORK/$model.q.json')); process.exit(j.nodes.float_weights === 0 && j.tensors.some(t => t.role === 'weight') ? 0 : 1)" \
    && ok "$model: optimize --strict quantized every weight" || fail "$model: weights left float in $WORK/$model.q.json"
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
    f=$(node "$SRC/tools/evaluate.mjs" "$DATA/$model.onnx" "$TEST_X" "$TEST_Y" | awk '{print $2}')
    q=$(node "$SRC/tools/evaluate.mjs" "$WORK/$model.q.onnx" "$TEST_X" "$TEST_Y" | awk '{print $2}')
    if [ -n "$q" ] && awk "BEGIN{exit !(($f - $q) * 100 <= $bound)}"; then
      ok "$model: INT8 top-1 $q vs float $f in ONNX Runtime (drop <= $bound points)"
    else
      fail "$model: INT8 top-1 '$q' vs float '$f' (allowed drop $bound points)"
    fi
  else
    sqnr=$(node "$SRC/tools/compare_models.mjs" "$DATA/$model.onnx" "$WORK/$model.q.onnx" "$test" 2>&1 | sed -n 's/.*sqnr_db \([0-9.]*\).*/\1/p' | sort -n | head -1)
    if [ -n "$sqnr" ] && awk "BEGIN{exit !($sqnr >= $bound)}"; then
      ok "$model: INT8 output SQNR $sqnr dB in ONNX Runtime (>= $bound)"
    else
      fail "$model: INT8 output SQNR '$sqnr' dB (bound $bound)"
    fi
  fi
done <<'MODELS'
vit_tiny_opset13 fashion accuracy 1.5
vit_tiny_opset17 fashion accuracy 1.5
gru_rows         fashion accuracy 1.5
lstm_rows        fashion accuracy 1.5
cnn_opset9       fashion sqnr     45
constant_weights fashion sqnr     45
conv1d_audio     own     sqnr     40
yolo_head        own     sqnr     48
MODELS
finish
