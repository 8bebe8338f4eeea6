#!/usr/bin/env bash
# Prints the corpus table of docs/accuracy.md: per model of testdata/corpus (and ResNet-18 and
# MobileNetV2 at 224, generated into build/corpus-large by the corpus test or here), float vs
# default INT8 vs the naive ORT-style baseline (tools/naive_quantize.py) on the same prepared graph:
# top-1 on the 500 bundled Fashion-MNIST test images (trained models) and output SQNR on inputs not
# used for calibration, the nodes left float by reason, and the calibration time. Needs a build
# (bash scripts/build.sh) and what bash scripts/install-deps.sh installs.
#   bash scripts/corpus-report.sh [MODEL...]      (default: every corpus model)
set -euo pipefail
cd "$(dirname "$0")/.."
Q=build/apps/quantize
DATA=testdata/corpus
TEST_X=testdata/inputs/fashion_test_500.npy
TEST_Y=testdata/inputs/fashion_test_500_labels.npy
LARGE=build/corpus-large
[ -f $LARGE/mobilenetv2_224.test.npy ] || /usr/bin/python3 tools/make_corpus.py $LARGE --large > /dev/null
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "| model | float top-1 | INT8 top-1 (default) | naive top-1 | INT8 SQNR (default) | naive SQNR | nodes left float | (reason: count) | calibration |"
echo "|---|---|---|---|---|---|---|---|---|"
MODELS=(vit_tiny_opset13 vit_tiny_opset17 gru_rows lstm_rows vad_if_lstm cnn_opset9 constant_weights conv1d_audio yolo_head
        yolo_nms einsum_attention resnet18_224 mobilenetv2_224)
[ $# -gt 0 ] && MODELS=("$@")
for model in "${MODELS[@]}"; do
  dir=$DATA
  fix=()
  case $model in
    conv1d_audio|yolo_head) calib=$DATA/$model.calib.npy; test=$DATA/$model.test.npy; judge=sqnr ;;
    yolo_nms) calib=$DATA/yolo_head.calib.npy; test=$DATA/yolo_head.test.npy; judge=sqnr ;;
    resnet18_224|mobilenetv2_224) dir=$LARGE; calib=$LARGE/$model.calib.npy; test=$LARGE/$model.test.npy; judge=sqnr ;;
    cnn_opset9|constant_weights|einsum_attention) calib=$DATA/fashion_calib_128.npy; test=$TEST_X; judge=sqnr ;;
    *) calib=$DATA/fashion_calib_128.npy; test=$TEST_X; judge=accuracy ;;
  esac
  # The VAD-shaped model runs at 16 kHz: its sample-rate input is fixed and its If inlined; it is
  # judged against the float model prepared the same way (equal to the original at sr=16000).
  [ $model = vad_if_lstm ] && fix=(--input-value sr=16000)
  $Q optimize "$dir/$model.onnx" "${fix[@]}" --calib "$calib" -o "$OUT/$model.onnx" --strict 2> "$OUT/log"
  $Q -q prepare "$dir/$model.onnx" "${fix[@]}" -o "$OUT/$model.prepared.onnx"
  ref="$dir/$model.onnx"
  [ ${#fix[@]} -gt 0 ] && ref="$OUT/$model.prepared.onnx"
  /usr/bin/python3 tools/naive_quantize.py "$OUT/$model.prepared.onnx" "$calib" "$OUT/$model.naive.onnx" "$Q" > /dev/null
  seconds=$(sed -n 's/.*calibrated [0-9]* tensors in \([0-9.]*\) s (.*/\1/p' "$OUT/log")
  samples=$(sed -n 's/.*calibrating on \([0-9]*\) samples.*/\1/p' "$OUT/log")
  reasons=$(node -e "
    const j = JSON.parse(require('fs').readFileSync('$OUT/$model.json'));
    const c = {};
    for (const f of j.float_nodes) { const r = f.reason.startsWith('inside If') ? 'inside a subgraph' : f.reason; c[r] = (c[r] || 0) + 1; }
    process.stdout.write(j.nodes.float + ' of ' + j.nodes.total + ' (' + (100 * j.nodes.float / j.nodes.total).toFixed(0) + '%)|' +
      (Object.entries(c).map(([r, n]) => r + ': ' + n).join(', ') || '-'));")
  sqnr() { node tools/compare_models.mjs "$ref" "$1" "$test" 2>/dev/null | sed -n 's/.*sqnr_db \([0-9.]*\).*/\1/p' | sort -n | head -1; }
  f="-"; q="-"; b="-"
  if [ $judge = accuracy ]; then
    f=$(node tools/evaluate.mjs "$ref" "$TEST_X" "$TEST_Y" | awk '{printf "%.1f%%", $2 * 100}')
    q=$(node tools/evaluate.mjs "$OUT/$model.onnx" "$TEST_X" "$TEST_Y" | awk '{printf "%.1f%%", $2 * 100}')
    b=$(node tools/evaluate.mjs "$OUT/$model.naive.onnx" "$TEST_X" "$TEST_Y" 2>/dev/null | awk '{printf "%.1f%%", $2 * 100}')
  fi
  echo "| $model | $f | $q | $b | $(sqnr "$OUT/$model.onnx") dB | $(sqnr "$OUT/$model.naive.onnx") dB | ${reasons%%|*} | ${reasons#*|} | $samples samples, $seconds s |"
done
