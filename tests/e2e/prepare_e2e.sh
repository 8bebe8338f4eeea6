#!/usr/bin/env bash
# Model preparation (quantize prepare, and optimize which runs it first): every opset-upgrade
# rewrite, Constant-weight folding, Identity/Dropout removal and BatchNormalization folding keeps
# the model's outputs equal in ONNX Runtime (max relative error 1e-5), on the old-form models of
# testdata/prepare (made by tools/make_prepare_models.py); weights stored as Constant nodes come out
# quantized; If subgraphs are described, run, inlined when constant; an op whose old form has no
# rule is refused naming the node, op and opset.
# Usage: prepare_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
DATA="$SRC/testdata/prepare"

for model in "$DATA"/*.onnx; do
  name=$(basename "$model" .onnx)
  case $name in roialign_opset10|scan8_opset8) continue ;; esac  # a second input; refused (below)
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

# Einsum: the five products become MatMul (their outputs equal in ONNX Runtime, checked above), the
# other forms stay Einsum; the products' weights are then quantized like any MatMul weight.
count_ops() { "$QUANTIZE" parse-model "$1" --json 2>/dev/null | node -e "
  let s = ''; process.stdin.on('data', d => s += d).on('end', () => {
    const c = JSON.parse(s).op_counts; console.log(process.argv.slice(1).map(op => op + ' ' + (c[op] ? c[op].count : 0)).join(', ')); })" "${@:2}"; }
"$QUANTIZE" -q prepare "$DATA/einsum_products_opset13.onnx" -o "$WORK/einsum_products.onnx" &&
  [ "$(count_ops "$WORK/einsum_products.onnx" Einsum MatMul)" = "Einsum 0, MatMul 5" ] &&
  ok "the five Einsum products became MatMul" || fail "Einsum products: $(count_ops "$WORK/einsum_products.onnx" Einsum MatMul)"
"$QUANTIZE" -q prepare "$DATA/einsum_kept_opset13.onnx" -o "$WORK/einsum_kept.onnx" &&
  [ "$(count_ops "$WORK/einsum_kept.onnx" Einsum MatMul)" = "Einsum 5, MatMul 0" ] &&
  ok "Einsum forms that are no single product (a sum, several or no contracted labels, a diagonal, three operands) stay Einsum" ||
  fail "Einsum kept: $(count_ops "$WORK/einsum_kept.onnx" Einsum MatMul)"
expect_exit 0 "optimize --strict on the Einsum products" \
  "$QUANTIZE" optimize "$DATA/einsum_products_opset13.onnx" --calib "$DATA/einsum_products_opset13.x.npy" -o "$WORK/einsum.q.onnx" --strict
node -e "const j = JSON.parse(require('fs').readFileSync('$WORK/einsum.q.json'));
  if (j.tensors.filter(t => t.role === 'weight').length !== 3 || j.nodes.float_weights !== 0) process.exit(1)" &&
  ok "the three weights behind Einsum products are quantized" || fail "Einsum weights: $WORK/einsum.q.json"

# Scan over the second axis, last step first, outputs stacked along axis 1, its body reading an
# outer weight: the interpreter equals ONNX Runtime (Loop: tests/e2e/corpus_e2e.sh).
SCAN="$DATA/scan_reverse_opset11"
"$QUANTIZE" -q infer "$SCAN.onnx" --input "x=$SCAN.x.npy" -o "$WORK/scan" &&
  result=$(node "$SRC/tools/ort_compare.mjs" "$SCAN.onnx" "$WORK/scan" --tol 1e-5 "x=$SCAN.x.npy" 2>&1) &&
  ok "Scan (reverse, axis 1): the interpreter equals ONNX Runtime" || fail "Scan: $result"

# An old opset-7 model with BatchNormalization quantizes at opset 13 with per-channel weights.
expect_exit 0 "optimize on an opset-7 model (BatchNormalization folded, per-channel weights)" \
  "$QUANTIZE" optimize "$DATA/batchnorm_opset7.onnx" --calib "$DATA/batchnorm_opset7.x.npy" -o "$WORK/bn.onnx"
sqnr=$(node "$SRC/tools/compare_models.mjs" "$DATA/batchnorm_opset7.onnx" "$WORK/bn.onnx" "$DATA/batchnorm_opset7.x.npy" 2>&1 | sed -n 's/.*sqnr_db \([0-9.]*\).*/\1/p')
if [ -n "$sqnr" ] && awk "BEGIN{exit !($sqnr >= 30)}"; then ok "opset-7 model quantized: SQNR $sqnr dB (>= 30)"; else fail "opset-7 model SQNR '$sqnr'"; fi

# If subgraphs: parse-model describes them; the interpreter runs them (= ONNX Runtime); a constant
# condition inlines the taken branch (its LSTM then quantizes like the rest); a data-dependent If
# stays, and its inner nodes are listed as float with the reason.
"$QUANTIZE" parse-model "$DATA/if_dynamic_opset13.onnx" --json > "$WORK/if.json" 2>/dev/null
if node -e "
  const j = JSON.parse(require('fs').readFileSync('$WORK/if.json'));
  const s = j.subgraphs.map(g => g.path + ':' + Object.keys(g.op_counts).join() + ':' + g.reads_outer.join()).sort().join(' ');
  if (s !== 'If_2.else_branch:Neg:x If_2.then_branch:Relu:x') { console.log(s); process.exit(1); }" >"$WORK/err" 2>&1; then
  ok "parse-model --json lists each If branch with its ops and the outer values it reads"
else
  fail "parse-model subgraphs: $(cat "$WORK/err")"
fi
"$QUANTIZE" parse-model "$DATA/if_dynamic_opset13.onnx" > "$WORK/if.txt" 2>&1
grep -q "If_2.then_branch (If): 1 nodes (Relu x1); outputs: t_out; reads from outside: x" "$WORK/if.txt" \
  && ok "parse-model prints the subgraphs" || fail "parse-model text: $(cat "$WORK/if.txt")"
for name in if_lstm_opset11 if_dynamic_opset13; do
  if "$QUANTIZE" -q infer "$DATA/$name.onnx" --input "x=$DATA/$name.x.npy" -o "$WORK/infer_$name" &&
     result=$(node "$SRC/tools/ort_compare.mjs" "$DATA/$name.onnx" "$WORK/infer_$name" --tol 1e-5 "x=$DATA/$name.x.npy" 2>&1); then
    ok "$name: quantize infer runs the If as ONNX Runtime does: $result"
  else
    fail "$name: infer vs ONNX Runtime: ${result:-infer failed}"
  fi
done
expect_exit 0 "prepare on the If-around-LSTM model" "$QUANTIZE" prepare "$DATA/if_lstm_opset11.onnx" -o "$WORK/if_lstm.onnx"
expect_stderr "a constant If condition inlines the branch" "1 If inlined"
"$QUANTIZE" parse-model "$WORK/if_lstm.onnx" --json > "$WORK/if_lstm.json" 2>/dev/null
node -e "const j = JSON.parse(require('fs').readFileSync('$WORK/if_lstm.json')); process.exit(!j.op_counts.If && j.op_counts.LSTM.count === 1 && !j.subgraphs.length ? 0 : 1)" \
  && ok "the inlined model has the LSTM at the top level and no If" || fail "if_lstm prepared: $(head -c 300 "$WORK/if_lstm.json")"
expect_exit 0 "optimize --full-integer on a model with a data-dependent If (no compute op outside it)" \
  "$QUANTIZE" optimize "$DATA/if_dynamic_opset13.onnx" --calib "$DATA/if_dynamic_opset13.x.npy" -o "$WORK/if_q.onnx" --full-integer
expect_stderr "optimize names the nodes inside the If as float, with the reason" "left float \(inside If 'If_2' then_branch \(subgraphs run in float\), 1\): Relu_4"
node "$SRC/tools/compare_models.mjs" "$DATA/if_dynamic_opset13.onnx" "$WORK/if_q.onnx" "$DATA/if_dynamic_opset13.x.npy" >/dev/null 2>&1 \
  && ok "ONNX Runtime runs the quantized model with the If" || fail "ONNX Runtime cannot run $WORK/if_q.onnx"

# An If on an input (the VAD-shaped corpus model picks its branch by the sample rate `sr`):
# --input-value fixes the input, and the If is inlined with the branch that value takes.
VAD="$SRC/testdata/corpus/vad_if_lstm.onnx"
expect_exit 2 "optimize without a value for the sample-rate input" "$QUANTIZE" optimize "$VAD" --calib "input=$SRC/testdata/corpus/fashion_calib_128.npy" -o "$WORK/vad.onnx"
expect_stderr "the message says how to give one" "no calibration data for model input 'sr' \(--calib sr=PATH, or --input-value sr=V to fix it to a constant\)"
for rate in 16000 8000; do
  expect_exit 0 "prepare --input-value sr=$rate" "$QUANTIZE" prepare "$VAD" --input-value "sr=$rate" -o "$WORK/vad$rate.onnx"
  expect_stderr "the log says the input is fixed" "input 'sr' fixed to $rate: the model no longer takes it as an input"
  expect_stderr "and the If inlined" "1 If inlined"
done
"$QUANTIZE" parse-model "$WORK/vad16000.onnx" --json > "$WORK/vad16000.json" 2>/dev/null
"$QUANTIZE" parse-model "$WORK/vad8000.onnx" --json > "$WORK/vad8000.json" 2>/dev/null
node -e "const r = (f) => JSON.parse(require('fs').readFileSync(f));
  const a = r('$WORK/vad16000.json'), b = r('$WORK/vad8000.json');
  const ok = [a, b].every((j) => j.inputs.length === 1 && j.inputs[0].name === 'input' && !j.op_counts.If && j.op_counts.LSTM.count === 1);
  process.exit(ok && !a.op_counts.Slice && b.op_counts.Slice ? 0 : 1)" \
  && ok "each value keeps its own branch (the 8 kHz one reads every second column through a Slice), sr is no longer an input" \
  || fail "vad prepared: $(head -c 300 "$WORK/vad8000.json")"
expect_exit 2 "--input-value with a name the model lacks" "$QUANTIZE" prepare "$VAD" --input-value rate=16000 -o "$WORK/bad.onnx"
expect_stderr "the message names it" "--input-value: the model has no input named 'rate'"
expect_exit 2 "--input-value with the wrong count" "$QUANTIZE" prepare "$VAD" --input-value sr=16000,8000 -o "$WORK/bad.onnx"
expect_stderr "the message gives the shape and counts" "--input-value sr: the input \[\] holds 1 values, got 2"
expect_exit 2 "--input-value with a word" "$QUANTIZE" prepare "$VAD" --input-value sr=fast -o "$WORK/bad.onnx"
expect_stderr "the message quotes it" "'fast' is not a finite number"
expect_exit 2 "--input-value on an input with a symbolic dim" "$QUANTIZE" prepare "$VAD" --input-value input=0 -o "$WORK/bad.onnx"
expect_stderr "the message says to fix the shape" "has a symbolic dim \(fix it with --input-shape\)"
[ ! -e "$WORK/bad.onnx" ] && ok "nothing written for a bad --input-value" || fail "bad.onnx written"

# A constant subgraph too large to fold stays a node, and the log says so.
expect_exit 0 "prepare on a model with a large constant subgraph" "$QUANTIZE" prepare "$DATA/large_constant_opset13.onnx" -o "$WORK/large.onnx"
expect_stderr "the large constant node left to run is named" "1 constant nodes not folded \(their results are large; they run at inference\): first 'ConstantOfShape_"

# RoiAlign-10 to opset 16 (its coordinate_transformation_mode written out): the same outputs in ONNX
# Runtime, and the interpreter equals ONNX Runtime on the old form.
/usr/bin/python3 -c "import numpy; numpy.save('$WORK/rois.npy', numpy.array([[0.2, 0.5, 3.1, 2.7]], numpy.float32))"
ROI_FEEDS=("x=$DATA/roialign_opset10.x.npy" "rois=$WORK/rois.npy")
"$QUANTIZE" -q prepare "$DATA/roialign_opset10.onnx" --target-opset 16 -o "$WORK/roi16.onnx" &&
  result=$(node "$SRC/tools/ort_same_outputs.mjs" "$DATA/roialign_opset10.onnx" "$WORK/roi16.onnx" --tol 1e-5 "${ROI_FEEDS[@]}" 2>&1) &&
  ok "RoiAlign-10 -> 16 keeps the outputs in ONNX Runtime: $result" || fail "RoiAlign-10 -> 16: ${result:-prepare failed}"
"$QUANTIZE" -q infer "$DATA/roialign_opset10.onnx" "${ROI_FEEDS[@]/#/--input=}" -o "$WORK/roi10" &&
  result=$(node "$SRC/tools/ort_compare.mjs" "$DATA/roialign_opset10.onnx" "$WORK/roi10" --tol 1e-5 "${ROI_FEEDS[@]}" 2>&1) &&
  ok "RoiAlign-10: the interpreter equals ONNX Runtime" || fail "RoiAlign-10: ${result:-infer failed}"

# No rule for an old form: refused, naming the node, the op and the opsets; nothing written.
expect_exit 6 "Scan-8 has no rule to opset 9 and later" "$QUANTIZE" prepare "$DATA/scan8_opset8.onnx" -o "$WORK/scan8.onnx"
expect_stderr "the message names the node, op and opsets" "node 'Scan_0' \(Scan\): no rule brings Scan-8 \(opset 8\) to opset 13: its form changes at opset 9"
[ ! -e "$WORK/scan8.onnx" ] && ok "nothing written for a refused model" || fail "scan8.onnx written"
expect_exit 2 "a target older than the model's opset is refused" "$QUANTIZE" prepare "$SRC/testdata/models/smallcnn.onnx" --target-opset 11 -o "$WORK/old.onnx"
expect_stderr "the message says quant does not downgrade" "does not downgrade"
expect_exit 6 "a target newer than the schemas is refused" "$QUANTIZE" prepare "$SRC/testdata/models/smallcnn.onnx" --target-opset 30 -o "$WORK/new.onnx"
finish
