#!/usr/bin/env bash
# Model preparation (quantize prepare, and optimize which runs it first): every opset-upgrade
# rewrite, Constant-weight folding, Identity/Dropout removal and BatchNormalization folding keeps
# the model's outputs equal in ONNX Runtime (max relative error 1e-5), on the old-form models of
# testdata/prepare (made by tools/make_prepare_models.py); weights stored as Constant nodes come out
# quantized; an op whose old form has no rule is refused naming the node, op and opset.
# Usage: prepare_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
DATA="$SRC/testdata/prepare"

for model in "$DATA"/*.onnx; do
  name=$(basename "$model" .onnx)
  [ "$name" = roialign_opset10 ] && continue
  out="$WORK/$name.prepared.onnx"
  if ! "$QUANTIZE" -q prepare "$model" -o "$out" 2>"$WORK/err"; then
    fail "$name: prepare failed: $(head -c 300 "$WORK/err")"
    continue
  fi
  if result=$(node "$SRC/tools/ort_same_outputs.mjs" "$model" "$out" --tol 1e-5 "x=$DATA/$name.x.npy" 2>&1); then
    ok "$name: prepared model equals the original in ONNX Runtime: $result"
  else
    fail "$name: $result"
  fi
  # The prepared model is at opset 13, with no Constant, Identity, Dropout, Upsample or Scatter left.
  "$QUANTIZE" parse-model "$out" --json > "$WORK/pm.json" 2>/dev/null
  if node -e "
    const j = JSON.parse(require('fs').readFileSync('$WORK/pm.json'));
    const left = ['Constant', 'Identity', 'Dropout', 'Upsample', 'Scatter', 'BatchNormalization'].filter(op => j.op_counts[op]);
    if (j.opsets['ai.onnx'] !== 13 || left.length) { console.log('opset', j.opsets['ai.onnx'], 'left:', left.join(' ')); process.exit(1); }"; then
    ok "$name: opset 13, no Constant/Identity/Dropout/Upsample/Scatter/BatchNormalization left"
  else
    fail "$name: $(node -e "const j=JSON.parse(require('fs').readFileSync('$WORK/pm.json'));console.log(JSON.stringify(j.op_counts))")"
  fi
done

# Weights stored as Constant nodes (behind Transpose, Reshape and Identity) are quantized, and
# every node's decision is in the JSON: the float constants kept (a Mul scale, an Add bias) named.
expect_exit 0 "optimize --strict on a model whose weights are all Constant nodes" \
  "$QUANTIZE" optimize "$DATA/constant_weights_opset11.onnx" --calib "$DATA/constant_weights_opset11.x.npy" -o "$WORK/cw.onnx" --strict
expect_stderr "optimize prints the constants kept float and why" "kept float \(constant operand kept float, 2\): scale \(Mul_2\), bf \(Add_11\)"
if node -e "
  const j = JSON.parse(require('fs').readFileSync('$WORK/cw.json'));
  const w = j.tensors.filter(t => t.role === 'weight').map(t => t.consumers.join());
  const n = j.nodes, kept = j.float_constants.map(f => f.tensor + ':' + f.reason).join();
  if (w.join() !== 'Conv_1,MatMul_10' || n.total !== 6 || n.quantized !== 6 || n.float_weights !== 0 ||
      kept !== 'scale:constant operand kept float,bf:constant operand kept float') { console.log(JSON.stringify([w, n, kept])); process.exit(1); }" 2>"$WORK/err"; then
  ok "Conv and MatMul weights from Constant nodes are quantized; the JSON records every node's decision"
else
  fail "Constant weights: $(cat "$WORK/err")"
fi
node "$SRC/tools/compare_models.mjs" "$DATA/constant_weights_opset11.onnx" "$WORK/cw.onnx" "$DATA/constant_weights_opset11.x.npy" >/dev/null 2>&1 \
  && ok "ONNX Runtime runs the quantized Constant-weight model" || fail "ONNX Runtime cannot run $WORK/cw.onnx"

# An old opset-7 model with BatchNormalization quantizes at opset 13 with per-channel weights.
expect_exit 0 "optimize on an opset-7 model (BatchNormalization folded, per-channel weights)" \
  "$QUANTIZE" optimize "$DATA/batchnorm_opset7.onnx" --calib "$DATA/batchnorm_opset7.x.npy" -o "$WORK/bn.onnx"
sqnr=$(node "$SRC/tools/compare_models.mjs" "$DATA/batchnorm_opset7.onnx" "$WORK/bn.onnx" "$DATA/batchnorm_opset7.x.npy" 2>&1 | sed -n 's/.*sqnr_db \([0-9.]*\).*/\1/p')
if [ -n "$sqnr" ] && awk "BEGIN{exit !($sqnr >= 30)}"; then ok "opset-7 model quantized: SQNR $sqnr dB (>= 30)"; else fail "opset-7 model SQNR '$sqnr'"; fi

# No rule for an old form: refused, naming the node, the op and the opsets; nothing written.
expect_exit 6 "RoiAlign-10 to opset 16 has no rule" "$QUANTIZE" prepare "$DATA/roialign_opset10.onnx" --target-opset 16 -o "$WORK/roi.onnx"
expect_stderr "the message names the node, op and opsets" "node 'RoiAlign_0' \(RoiAlign\): no rule brings RoiAlign-10 \(opset 10\) to opset 16: its form changes at opset 16"
[ ! -e "$WORK/roi.onnx" ] && ok "nothing written for a refused model" || fail "roi.onnx written"
expect_exit 2 "a target older than the model's opset is refused" "$QUANTIZE" prepare "$SRC/testdata/models/smallcnn.onnx" --target-opset 11 -o "$WORK/old.onnx"
expect_stderr "the message says quant does not downgrade" "does not downgrade"
expect_exit 6 "a target newer than the schemas is refused" "$QUANTIZE" prepare "$SRC/testdata/models/smallcnn.onnx" --target-opset 30 -o "$WORK/new.onnx"
finish
