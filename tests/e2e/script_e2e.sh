#!/usr/bin/env bash
# Model scripts end to end, every model run in ONNX Runtime: a Hailo-style script loads and applies;
# all-16-bit is accurate (SQNR >= 60 dB, >= 10x a8_w8 on the policy, on calibration and fresh inputs); forced ranges are exact in the
# JSON, the model and parse-model; mixed precision converts at the boundaries; equalization keeps
# the float function; script errors are positioned and write nothing.
# Usage: script_e2e.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
S="$SRC/testdata/scripts"
CNN="$SRC/testdata/models/smallcnn.onnx"
POLICY="$SRC/testdata/models/policy.onnx"
PX="$SRC/testdata/inputs/policy_calib_x.npy"
FX="$SRC/testdata/inputs/fashion_test_500.npy"
field() { node -e "const t=require('$1').tensors.find(x => x.name === '$2'); console.log(JSON.stringify(t ? t['$3'] : null))"; }
# compare FLOAT QUANT INPUTS -> "output max rms sqnr" lines
compare() { node "$SRC/tools/compare_models.mjs" "$1" "$2" "$3" | awk '{print $1, $3, $5, $7}' | tr -d ':'; }

# --- a script made of real Hailo line shapes
expect_exit 0 "Hailo-style script on smallcnn" "$QUANTIZE" optimize "$CNN" --calib "$SRC/testdata/calib/fashion_100" --script "$S/smallcnn_hailo_style.alls" -o "$WORK/hs.onnx"
expect_stderr "hardware commands are accepted with a warning naming the line" "smallcnn_hailo_style.alls:13: resources_param: a Hailo compiler or hardware setting, no meaning for quant: ignored"
[ "$(field "$WORK/hs.json" input qp_scale)" = "1" ] && [ "$(field "$WORK/hs.json" input qp_zp)" = "0" ] \
  && ok "normalization folded: the input takes raw pixels with scale 1, zero point 0" || fail "normalized input: $(field "$WORK/hs.json" input qp_scale)"
[ "$(field "$WORK/hs.json" /r2/Relu_output_0 dtype)" = '"uint16"' ] && [ "$(field "$WORK/hs.json" c2.weight dtype)" = '"int16"' ] \
  && ok "a16_w16 layers: uint16 activations, int16 weights" || fail "16-bit layer types"
[ "$(field "$WORK/hs.json" /r3/Relu_output_0_as_uint8 role)" = '"conversion"' ] && [ "$(field "$WORK/hs.json" /Flatten_output_0 dtype)" = '"uint16"' ] \
  && ok "a uint16 -> uint8 conversion at the precision boundary; Flatten between 16-bit layers stays 16-bit" || fail "no conversion entry at the boundary"
[ "$(field "$WORK/hs.json" /r1/Relu_output_0 range_rule)" = '"clipped (percentile)"' ] && ok "activation_clipping applied" || fail "activation clipping"
"$QUANTIZE" parse-model "$WORK/hs.onnx" --json > "$WORK/hs_parsed.json"
r=$(node "$SRC/tools/check_params.mjs" "$WORK/hs.json" "$WORK/hs_parsed.json") && ok "mixed-precision params JSON agrees with the model: $r" || fail "JSON vs model: $r"
node "$SRC/tools/compare_models.mjs" "$WORK/hs.onnx" "$WORK/hs.onnx" "$SRC/testdata/inputs/fashion_test_8.npy" > /dev/null 2>&1 \
  && ok "ONNX Runtime runs the mixed 8/16-bit model (com.microsoft 16-bit Q/DQ)" || fail "ONNX Runtime cannot run the mixed model"

# --- all 16 bits: SQNR of the quantization itself, measured on the calibration inputs
"$QUANTIZE" -q optimize "$CNN" --calib "$FX" --script "$S/all_a16_w16.alls" -o "$WORK/cnn16.onnx"
sqnr=$(compare "$CNN" "$WORK/cnn16.onnx" "$FX" | awk '{print $4}')
awk -v s="$sqnr" 'BEGIN{exit !(s >= 60)}' && ok "smallcnn all a16_w16: logits SQNR $sqnr dB >= 60" || fail "smallcnn all-16 SQNR $sqnr dB"
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" -o "$WORK/p8.onnx"
expect_exit 0 "policy all a16_w16" "$QUANTIZE" optimize "$POLICY" --calib "$PX" --script "$S/all_a16_w16.alls" -o "$WORK/p16.onnx"
expect_stderr "the widened 16-bit ranges are said in the log" "16-bit headroom: [0-9]+ ranges widened by 0.25 of their width on each side"
# all_16_vs_8 INPUTS LABEL: on these inputs, every policy output of all-16 reaches 60 dB and is at
# least 10x more accurate (max and RMS error) than a8_w8.
all_16_vs_8() {
  compare "$POLICY" "$WORK/p8.onnx" "$1" > "$WORK/p8.txt"
  compare "$POLICY" "$WORK/p16.onnx" "$1" > "$WORK/p16.txt"
  while read -r name max rms sqnr; do
    read -r _ max8 rms8 _ < <(grep "^$name " "$WORK/p8.txt")
    awk -v s="$sqnr" 'BEGIN{exit !(s >= 60)}' && ok "policy all a16_w16 on $2: $name SQNR $sqnr dB >= 60" || fail "policy $2 $name SQNR $sqnr"
    awk -v a="$max" -v b="$max8" -v c="$rms" -v d="$rms8" 'BEGIN{exit !(a * 10 <= b && c * 10 <= d)}' \
      && ok "policy $name on $2: all-16 max $max, RMS $rms vs a8_w8 max $max8, RMS $rms8 (>= 10x better)" || fail "policy $2 $name not 10x better: $max/$max8 $rms/$rms8"
  done < "$WORK/p16.txt"
}
all_16_vs_8 "$PX" "calibration inputs"
# The same on fresh inputs (2,000 rows not used for calibration): 16-bit ranges get headroom
# (plan/headroom.h), so values a little beyond what calibration saw are not clamped.
PT="$SRC/testdata/inputs/policy_test_x_2000.npy"
all_16_vs_8 "$PT" "fresh inputs"
[ "$(field "$WORK/p16.json" /Sigmoid_output_0 range_max)" = "1" ] && [ "$(field "$WORK/p16.json" /Sigmoid_output_0 range_rule)" = '"headroom (16-bit)"' ] \
  && [ "$(field "$WORK/p16.json" /body/body.1/Relu_output_0 range_min)" = "0" ] \
  && ok "headroom recorded in the JSON; the Sigmoid range stops at its bound 1, the ReLU range stays at 0" || fail "headroom in the JSON"
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --script "$S/all_a16_w16.alls" --headroom-16bit 0 -o "$WORK/p16_tight.onnx"
sqnr=$(compare "$POLICY" "$WORK/p16_tight.onnx" "$PT" | awk '$1 == "out_pedal" {print $4}')
awk -v s="$sqnr" 'BEGIN{exit !(s < 60)}' && ok "without headroom (--headroom-16bit 0) out_pedal falls to $sqnr dB on fresh inputs: clamping" || fail "no-headroom SQNR $sqnr"

for cfg in policy_heads_a16 policy_body_a16; do
  "$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --script "$S/$cfg.alls" -o "$WORK/$cfg.onnx" && compare "$POLICY" "$WORK/$cfg.onnx" "$PX" > "$WORK/$cfg.txt" \
    && ok "$cfg: runs in ONNX Runtime ($(tr '\n' ' ' < "$WORK/$cfg.txt"))" || fail "$cfg"
done

# --- forced range: exactly 2.2/255 and zero point 128, in the JSON, the model and parse-model
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --script "$S/policy_steer_range.alls" -o "$WORK/pr.onnx"
want=$(node -e "console.log(JSON.stringify(Math.fround(2.2 / 255)))")
[ "$(field "$WORK/pr.json" out_steer qp_scale)" = "$want" ] && [ "$(field "$WORK/pr.json" out_steer qp_zp)" = "128" ] \
  && ok "force_range_out=[-1.1, 1.1]: qp_scale = 2.2/255 = $want, qp_zp = 128 in the JSON" || fail "forced range JSON: $(field "$WORK/pr.json" out_steer qp_scale)"
[ "$(field "$WORK/pr.json" out_steer rule_source)" = "\"$S/policy_steer_range.alls:2\"" ] && [ "$(field "$WORK/pr.json" out_steer range_rule)" = '"forced"' ] \
  && ok "the JSON records the forced range and its script line" || fail "forced_by: $(field "$WORK/pr.json" out_steer rule_source)"
"$QUANTIZE" parse-model "$WORK/pr.onnx" --json > "$WORK/pr_parsed.json"
node -e "const o=require('$WORK/pr_parsed.json').quantization.outputs.find(x => x.name === 'out_steer'); process.exit(o.qp_scale === $want && o.qp_zp === 128 ? 0 : 1)" \
  && ok "the model holds the same scale and zero point" || fail "model out_steer params"
"$QUANTIZE" parse-model "$WORK/pr.onnx" | grep -q "out_steer                uint8   qp_scale 0.00862745102  qp_zp 128" \
  && ok "parse-model shows them" || fail "parse-model text"
"$QUANTIZE" -q optimize "$POLICY" --calib "$PX" --script "$S/policy_steer_range_a16.alls" -o "$WORK/pr16.onnx"
want16=$(node -e "console.log(JSON.stringify(Math.fround(2.2 / 65535)))")
[ "$(field "$WORK/pr16.json" out_steer qp_scale)" = "$want16" ] && [ "$(field "$WORK/pr16.json" out_steer qp_zp)" = "32768" ] \
  && ok "16-bit: qp_scale = 2.2/65535, qp_zp = 32768" || fail "16-bit forced range: $(field "$WORK/pr16.json" out_steer qp_scale) $(field "$WORK/pr16.json" out_steer qp_zp)"

# --- equalization keeps the float function; bias correction runs
DW="$SRC/testdata/models/dwnet.onnx"
"$QUANTIZE" -q optimize "$DW" --calib "$FX" --calib-size 100 --per-tensor-weights --script "$S/equalization.alls" --save-float-model "$WORK/dw_eq_float.onnx" -o "$WORK/dw_eq.onnx"
sqnr=$(compare "$DW" "$WORK/dw_eq_float.onnx" "$FX" | awk '{print $4}')
awk -v s="$sqnr" 'BEGIN{exit !(s >= 100)}' && ok "equalized float dwnet = original to float rounding (SQNR $sqnr dB)" || fail "equalization changed the float model: $sqnr dB"
expect_exit 0 "bias correction (optimization_level=2)" "$QUANTIZE" optimize "$DW" --calib "$FX" --calib-size 100 --per-tensor-weights --script "$S/level2.alls" -o "$WORK/dw_l2.onnx"

# --- script errors: positioned, non-zero, nothing written
printf 'quantization_param({*}, precision_mode=a8_w8)\nquantization_param(/c1/Conv, precision_mode=a16_w61)\n' > "$WORK/typo.alls"
expect_exit 4 "unknown precision_mode" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/typo.alls" -o "$WORK/bad1.onnx"
expect_stderr "names file:line:col and the modes" "typo.alls:2:45: unknown precision_mode 'a16_w61' \(expected one of a8_w8, a16_w16"
printf 'quantization_param({conv9*}, precision_mode=a16_w16)\n' > "$WORK/nolayer.alls"
expect_exit 2 "a glob that matches no layer" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/nolayer.alls" -o "$WORK/bad2.onnx"
expect_stderr "lists close layers and parse-model --layers" "nolayer.alls:1:20: no layer matches '\{conv9\*\}' \(closest layers: .*see 'quantize parse-model --layers'\)"
printf 'quantization_param(/c1/Conv,\n    precision_mode=a16_w16\n' > "$WORK/open.alls"
expect_exit 4 "an unterminated parenthesis" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/open.alls" -o "$WORK/bad3.onnx"
expect_stderr "points at the opening" "open.alls:1:19: unterminated '\(' opened here"
expect_exit 3 "a missing script" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/none.alls" -o "$WORK/bad4.onnx"
# Hostile scripts: 100,000 nested '[' (the parser used to recurse until SIGSEGV) and a 1 MB layer
# name (the message used to repeat it whole).
/usr/bin/python3 -c "open('$WORK/deep.alls', 'w').write('quantization_param(' + '[' * 100000)"
expect_exit 4 "100,000 nested brackets" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/deep.alls" -o "$WORK/bad5.onnx"
expect_stderr "stops at a bounded depth, positioned" "deep.alls:1:51: brackets nested deeper than 32 levels"
/usr/bin/python3 -c "open('$WORK/long.alls', 'w').write('quantization_param(' + 'x' * 1000000 + ', precision_mode=a16_w16)\\n')"
expect_exit 2 "a 1 MB layer name" "$QUANTIZE" optimize "$CNN" --calib "$FX" --script "$WORK/long.alls" -o "$WORK/bad6.onnx"
expect_stderr "the message names no such layer" "long.alls:1:20: no layer matches 'x{200}\\.\\.\\.' \\(closest layers"
[ "$(wc -c < "$ERR_FILE")" -lt 2000 ] && ok "and stays short ($(wc -c < "$ERR_FILE") bytes)" || fail "the message is $(wc -c < "$ERR_FILE") bytes"
[ -z "$(ls "$WORK"/bad* 2>/dev/null)" ] && ok "failed runs wrote nothing" || fail "failed runs left files: $(ls "$WORK"/bad*)"
finish
