#!/usr/bin/env bash
# Hailo's model-script vocabulary through the command line: a script using every command, first
# argument and key loads with one warning per ignored word; Hailo-style layer names are an error,
# or warnings with --ignore-missing-layers; a misspelled key fails with a did-you-mean.
# Usage: script_vocabulary.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
MODEL="$SRC/testdata/models/smallcnn.onnx"
CALIB="$SRC/testdata/inputs/fashion_test_8.npy"

expect_exit 0 "every word of the vocabulary loads" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" \
  --script "$SRC/testdata/scripts/hailo_vocabulary.alls" -o "$WORK/v.onnx"
warnings=$(grep -c "\[warning\] .*hailo_vocabulary.alls:" "$ERR_FILE")
[ "$warnings" -eq 50 ] && ok "one warning per ignored word: $warnings" || fail "expected 50 warnings, got $warnings"
expect_stderr "warnings say what quant does instead" "hailo_vocabulary.alls:42: logits_layer: adds a softmax/argmax layer in Hailo's graph; quant does not add layers: ignored"
expect_stderr "a training-based optimization says it has no effect" "post_quantization_optimization\(finetune\): training-based in Hailo's tool; quant does post-training quantization only: no effect"
expect_stderr "the empty glob is warned about" "hailo_vocabulary.alls:18:20: an empty glob '\{\}' matches no layer"
[ -s "$WORK/v.onnx" ] && ok "the model is written" || fail "no model written"

# Hailo's own layer names: an error naming the closest ONNX names, or warnings with the flag.
printf 'quantization_param([conv42, /c1/Conv], precision_mode=a16_w16)\nquantization_param(conv7, precision_mode=a16_w16)\n' > "$WORK/hailo_names.alls"
expect_exit 2 "a layer the model does not have" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --script "$WORK/hailo_names.alls" -o "$WORK/h.onnx"
expect_stderr "the error lists the closest layers" "hailo_names.alls:1:21: no layer matches 'conv42' \(closest layers: "
[ ! -e "$WORK/h.onnx" ] && ok "nothing written" || fail "a model was written"
expect_exit 0 "--ignore-missing-layers" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --script "$WORK/hailo_names.alls" \
  --ignore-missing-layers -o "$WORK/h.onnx"
expect_stderr "each missing name is warned about" "hailo_names.alls:2:20: no layer matches 'conv7' .*: ignored \(--ignore-missing-layers\)"
mode=$(node -e "console.log(require('$WORK/h.json').tensors.find(t => t.producer === '/r1/Relu').precision_mode)")
[ "$mode" = a16_w16 ] && ok "the names that exist still apply (/c1/Conv, fused with its Relu: $mode)" || fail "/c1/Conv precision_mode $mode"
expect_exit 0 "calibrate takes --ignore-missing-layers too" "$QUANTIZE" calibrate "$MODEL" --calib "$CALIB" \
  --script "$WORK/hailo_names.alls" --ignore-missing-layers --stats-out "$WORK/s.json"

printf 'post_quantization_optimization(finetune, policy=enabled, learning_rat=0.0001)\n' > "$WORK/typo.alls"
expect_exit 4 "a misspelled key" "$QUANTIZE" optimize "$MODEL" --calib "$CALIB" --script "$WORK/typo.alls" -o "$WORK/t.onnx"
expect_stderr "did-you-mean for the key" "typo.alls:1:58: unknown key 'learning_rat' for post_quantization_optimization \(did you mean 'learning_rate'\?"
finish
