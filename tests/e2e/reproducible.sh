#!/usr/bin/env bash
# The same inputs and options give byte-identical files with 1 thread and with 2: optimize (model,
# params JSON, exports, the auto-precision script), calibrate, analyze, sweep, infer --emulate.
# Each run works in its own folder with the same relative paths (the files record paths as given).
# Usage: reproducible.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
QUANTIZE=$(realpath "$QUANTIZE")
cp "$SRC/testdata/models/smallcnn.onnx" "$SRC/testdata/models/dwnet.onnx" "$SRC/testdata/models/policy.onnx" \
  "$SRC/testdata/inputs/fashion_test_500.npy" "$SRC/testdata/inputs/fashion_test_500_labels.npy" "$SRC/testdata/inputs/fashion_test_8.npy" \
  "$SRC/testdata/inputs/policy_calib_x.npy" "$WORK/"
run_all() {  # in the current folder, with --threads $THREADS
  "$QUANTIZE" -q --threads "$THREADS" optimize ../dwnet.onnx --calib ../fashion_test_500.npy --calib-size 200 -m entropy --full-integer -o dw.onnx \
    --export-encodings dw.encodings.json --export-trt-cache dw.trt.cache
  "$QUANTIZE" -q --threads "$THREADS" optimize ../policy.onnx --calib ../policy_calib_x.npy --full-integer --auto-precision --target-sqnr 60 \
    --script-out auto.alls -o auto.onnx
  "$QUANTIZE" -q --threads "$THREADS" calibrate ../dwnet.onnx --calib ../fashion_test_500.npy --calib-size 200 --stats-out stats.json
  "$QUANTIZE" -q --threads "$THREADS" analyze ../dwnet.onnx dw.onnx --data ../fashion_test_500.npy --data-size 50 --labels ../fashion_test_500_labels.npy --report report
  "$QUANTIZE" -q --threads "$THREADS" sweep ../smallcnn.onnx --calib ../fashion_test_500.npy --calib-sizes 200 --data ../fashion_test_500.npy --data-size 100 -o sweep
  "$QUANTIZE" -q --threads "$THREADS" infer --emulate dw.onnx --input input=../fashion_test_8.npy -o emulated
}
mkdir "$WORK/t1" "$WORK/t2"
(cd "$WORK/t1" && THREADS=1 run_all) 2>"$WORK/t1.log" || fail "the 1-thread runs failed: $(tail -c 300 "$WORK/t1.log")"
(cd "$WORK/t2" && THREADS=2 run_all) 2>"$WORK/t2.log" || fail "the 2-thread runs failed: $(tail -c 300 "$WORK/t2.log")"
count=0
while read -r f; do
  count=$((count + 1))
  cmp -s "$WORK/t1/$f" "$WORK/t2/$f" || fail "$f differs between 1 and 2 threads"
done < <(cd "$WORK/t1" && find . -type f | sort)
[ "$count" -ge 14 ] && ok "$count files byte-identical with 1 and 2 threads: $(cd "$WORK/t1" && find . -type f | sort | tr '\n' ' ')" \
  || fail "only $count files written"
finish
