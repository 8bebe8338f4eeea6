#!/usr/bin/env bash
# quantize analyze: per-tensor and per-layer error of a quantized model against its float model.
# Checked against ONNX Runtime (the output SQNR), against the float model itself (exact), on the
# policy's held-out inputs (clipping shown per tensor), and on mismatched models (clear errors).
# Usage: analyze_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
CNN="$SRC/testdata/models/smallcnn.onnx"
DW="$SRC/testdata/models/dwnet.onnx"
POLICY="$SRC/testdata/models/policy.onnx"
FX="$SRC/testdata/inputs/fashion_test_500.npy"
FY="$SRC/testdata/inputs/fashion_test_500_labels.npy"
PT="$SRC/testdata/inputs/policy_test_x_2000.npy"
js() { node -e "const r = require('$1'); $2"; }

"$QUANTIZE" -q optimize "$CNN" --calib "$SRC/testdata/calib/fashion_100" --mean 72.93 --std 90.02 -o "$WORK/cnn8.onnx"
expect_exit 0 "analyze smallcnn with labels" "$QUANTIZE" analyze "$CNN" "$WORK/cnn8.onnx" --data "$FX" --labels "$FY" --report "$WORK/r"
expect_stderr "names the most sensitive layer" "most sensitive layer 1: /(c|f)[12]/(Conv|Gemm) \((Conv|Gemm)\), output SQNR [0-9.]+ dB when only it is quantized"
[ -s "$WORK/r/report.json" ] && [ -s "$WORK/r/report.html" ] && ok "report.json and report.html written" || fail "report files missing"
js "$WORK/r/report.json" "process.exit(r.layers.length === 4 && r.layers.every(l => typeof l.sensitivity_db === 'number') &&
  r.tensors.filter(t => t.quantized).every(t => typeof t.sqnr_db === 'number' && typeof t.clipped_fraction === 'number') ? 0 : 1)" \
  && ok "four layers with sensitivity_db; every quantized tensor with sqnr_db and clipped_fraction" || fail "report.json structure"
js "$WORK/r/report.json" "process.exit(r.top1_agreement >= 0.98 && Math.abs(r.accuracy_float - 0.922) < 1e-9 ? 0 : 1)" \
  && ok "top-1 agreement >= 98%, float accuracy 92.2% on the 500 test images" || fail "labels: $(js "$WORK/r/report.json" 'console.log(r.top1_agreement, r.accuracy_float)')"
# The same output SQNR as ONNX Runtime running the QDQ model (tools/compare_models.mjs).
ort=$(node "$SRC/tools/compare_models.mjs" "$CNN" "$WORK/cnn8.onnx" "$FX" | awk '{print $7}')
ours=$(js "$WORK/r/report.json" "console.log(r.outputs[0].sqnr_db)")
awk -v a="$ort" -v b="$ours" 'BEGIN{d = a - b; exit !(d < 0.3 && d > -0.3)}' && ok "output SQNR $ours dB = ONNX Runtime's $ort dB (within 0.3)" || fail "SQNR $ours vs ONNX Runtime $ort"
grep -q "<svg" "$WORK/r/report.html" && [ "$(grep -c "<svg" "$WORK/r/report.html")" -eq 2 ] && ! grep -qiE "<script|src=|href=" "$WORK/r/report.html" \
  && ok "report.html: two inline SVG charts, no scripts or external references" || fail "report.html content"

# --- a float model against itself: exact everywhere
expect_exit 0 "analyze a float model against itself" "$QUANTIZE" analyze "$DW" "$DW" --data "$SRC/testdata/inputs/fashion_test_8.npy" --report "$WORK/self"
js "$WORK/self/report.json" "process.exit(r.tensors.length > 10 && r.tensors.every(t => t.sqnr_db === null || t.sqnr_db > 100) && r.outputs[0].sqnr_db === null ? 0 : 1)" \
  && ok "every tensor and the output exact (SQNR null = infinite)" || fail "self-analysis not exact"

# --- the policy on held-out inputs: clipping shows at a glance
"$QUANTIZE" -q optimize "$POLICY" --calib "$SRC/testdata/inputs/policy_calib_x.npy" --script "$SRC/testdata/scripts/all_a16_w16.alls" --headroom-16bit 0 -o "$WORK/p16_tight.onnx"
"$QUANTIZE" -q optimize "$POLICY" --calib "$SRC/testdata/inputs/policy_calib_x.npy" --script "$SRC/testdata/scripts/all_a16_w16.alls" -o "$WORK/p16.onnx"
expect_exit 0 "analyze the policy (16 bits, no headroom) on held-out inputs" "$QUANTIZE" analyze "$POLICY" "$WORK/p16_tight.onnx" --data "$PT" --report "$WORK/pt"
expect_exit 0 "and with headroom" "$QUANTIZE" analyze "$POLICY" "$WORK/p16.onnx" --data "$PT" --report "$WORK/ph" --no-sensitivity
clip() { js "$1" "console.log(r.tensors.find(t => t.name === '/pedal/Gemm_output_0').clipped_fraction)"; }
tight=$(clip "$WORK/pt/report.json"); wide=$(clip "$WORK/ph/report.json")
awk -v a="$tight" -v b="$wide" 'BEGIN{exit !(a > 0.0005 && b == 0)}' \
  && ok "the pre-sigmoid pedal Gemm: $tight of values clipped without headroom, $wide with it" || fail "clipped fractions $tight / $wide"
js "$WORK/ph/report.json" "process.exit(r.layers.length === 0 ? 0 : 1)" && ok "--no-sensitivity skips the layers" || fail "--no-sensitivity"

# --- automatic mixed precision: the fewest layers at 16 bits for a target, as a script to keep
PX="$SRC/testdata/inputs/policy_calib_x.npy"
expect_exit 0 "policy --auto-precision --target-sqnr 80 (full integer)" "$QUANTIZE" optimize "$POLICY" --calib "$PX" --full-integer \
  --auto-precision --target-sqnr 80 --script-out "$WORK/auto.alls" -o "$WORK/auto.onnx"
expect_stderr "logs each step and the result" "auto-precision: target reached with [0-9]+ of [0-9]+ layers at 16 bits"
lines=$(grep -c "^quantization_param(" "$WORK/auto.alls")
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --full-integer --script "$SRC/testdata/scripts/all_a16_w16.alls" -o "$WORK/all16.onnx"
all16=$("$QUANTIZE" parse-model "$POLICY" --json --layers | node -e "let s=''; process.stdin.on('data', d => s += d).on('end', () => console.log(JSON.parse(s).layers.length))")
auto_sqnr=$(node "$SRC/tools/compare_models.mjs" "$POLICY" "$WORK/auto.onnx" "$PX" | awk '{print $7}' | sort -n | head -1)
all_sqnr=$(node "$SRC/tools/compare_models.mjs" "$POLICY" "$WORK/all16.onnx" "$PX" | awk '{print $7}' | sort -n | head -1)
awk -v a="$auto_sqnr" -v b="$all_sqnr" -v n="$lines" -v m="$all16" 'BEGIN{exit !(a >= 80 && a >= b - 1 && n < m)}' \
  && ok "ONNX Runtime: $auto_sqnr dB with $lines of $all16 layers at 16 bits (all-16: $all_sqnr dB)" || fail "auto-precision: $auto_sqnr dB, $lines of $all16 layers (all-16 $all_sqnr dB)"
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --full-integer --script "$WORK/auto.alls" -o "$WORK/rerun.onnx"
cmp -s "$WORK/auto.onnx" "$WORK/rerun.onnx" && ok "re-running the written script gives the same model, byte for byte" || fail "the script does not reproduce the model"
[ "$(node -e "const t = require('$WORK/auto.json').tensors.find(t => t.producer === '/Sigmoid'); console.log(t.dtype + ' ' + t.rule_source)")" = "uint16 auto-precision" ] \
  && ok "the params JSON says which rule raised a tensor (rule_source auto-precision)" || fail "auto-precision in the JSON"
expect_exit 6 "a target the MAC budget cannot reach" "$QUANTIZE" optimize "$POLICY" --calib "$PX" --full-integer --auto-precision --target-sqnr 80 \
  --max-16bit-fraction 0.05 --script-out "$WORK/bad_auto.alls" -o "$WORK/bad_auto.onnx"
expect_stderr "says what it reached and what to change" "--auto-precision: [0-9.]+ dB with [0-9]+ layers at 16 bits \([0-9.]+% of MACs\), short of --target-sqnr 80: raise --max-16bit-fraction or lower the target"
expect_stderr "names each layer left at 8 bits by the budget" "auto-precision: /body/body.0/Gemm left at 8 bits: it would bring the MACs at 16 bits to [0-9.]+%, over --max-16bit-fraction 0.05"
[ ! -e "$WORK/bad_auto.onnx" ] && [ ! -e "$WORK/bad_auto.alls" ] && ok "nothing written" || fail "an unreached target wrote files"
expect_exit 2 "--script-out without --auto-precision" "$QUANTIZE" optimize "$POLICY" --calib "$PX" --script-out "$WORK/x.alls" -o "$WORK/x.onnx"

# --- models that do not belong together
expect_exit 2 "smallcnn against dwnet" "$QUANTIZE" analyze "$CNN" "$DW" --data "$FX" --report "$WORK/bad1"
expect_stderr "says which node is missing" "the float model's node '/c1/Conv' \(Conv\) is not in the quantized model: give the float model the quantized one was made from"
expect_exit 2 "the policy against the quantized smallcnn" "$QUANTIZE" analyze "$POLICY" "$WORK/cnn8.onnx" --data "$PT" --report "$WORK/bad2"
expect_stderr "says the outputs differ" "the models have different outputs \(float: out_pedal, out_steer; quantized: logits\)"
[ ! -e "$WORK/bad1" ] && [ ! -e "$WORK/bad2" ] && ok "nothing written" || fail "a failed analyze wrote a report"
finish
