#!/usr/bin/env bash
# quant's speed next to ONNX Runtime's, measured in one run on this machine; prints four tables
# (docs/performance.md holds a run of it and says how to read it). From the repository root after
# scripts/build.sh (the 224x224 models need python3-torch, as the test suite does):
#   bash bench/run.sh [REPEATS] [ROUNDS]
# 1. inference throughput: quant's float interpreter (bench/infer_bench, the interpreter `quantize
#    infer` runs) vs ONNX Runtime (tools/ort_bench.mjs), same model, batch and thread count;
# 2. calibration throughput (`quantize calibrate`, whole process, min/max only and with histograms)
#    vs ONNX Runtime inference at all threads, the two measured in alternation;
# 3. peak memory (max RSS) of `quantize calibrate` and `quantize infer` for 64, 1,024 and 8,192 samples;
# 4. the INT8 QDQ model quant writes vs the float model, both in ONNX Runtime.
# A shared machine has slow phases lasting seconds (other tenants): every throughput figure is the
# best of ROUNDS (default 3) measurements, quant's and ONNX Runtime's taken in alternation, so that
# one side does not land in a slow phase alone. Table 1 also compares the fastest single batch of
# each side over all rounds, the figure least touched by other tenants. Figures still move between
# runs (table 1's median ratios by up to ~30% on the 28x28 models, the fastest-batch ratios less).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-20}
ROUNDS=${2:-3}
QUANTIZE=build/apps/quantize
BENCH=build/bench/infer_bench
LARGE=build/corpus-large
THREADS_ALL=$(nproc)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ -x "$QUANTIZE" ] && [ -x "$BENCH" ] || { echo "build first: bash scripts/build.sh" >&2; exit 2; }
if [ ! -f "$LARGE/resnet18_224.onnx" ] || [ ! -f "$LARGE/mobilenetv2_224.onnx" ]; then
  echo "writing the 224x224 models into $LARGE (once)..." >&2
  /usr/bin/python3 tools/make_corpus.py "$LARGE" --large >&2
fi

# Inputs: Fashion-MNIST for the 28x28 models (the test split), the corpus' ImageNet-like data for 224x224.
node tools/make_fashion_samples.mjs "$WORK/fashion_8192.npy" "$WORK/labels.npy" 8192 test 0 > /dev/null
/usr/bin/python3 - "$WORK" "$LARGE" <<'PY'
import sys, numpy as np
work, large = sys.argv[1], sys.argv[2]
x = np.load(f"{work}/fashion_8192.npy")
for n in (64, 100, 1024):
    np.save(f"{work}/fashion_{n}.npy", x[:n])
for m in ("resnet18_224", "mobilenetv2_224"):
    c = np.load(f"{large}/{m}.calib.npy")
    np.save(f"{work}/{m}_batch.npy", c[:8])
    # 256 samples: with 64, the process's start (model load, first runs: ~0.15 s for MobileNetV2)
    # was a quarter of the run and the figure no longer a throughput.
    np.save(f"{work}/{m}_calib.npy", np.concatenate([c] * 16))
PY
model_path() {
  case $1 in smallcnn|dwnet) echo "testdata/models/$1.onnx" ;; vit_tiny_opset17|yolo_head|lstm_rows) echo "testdata/corpus/$1.onnx" ;; *) echo "$LARGE/$1.onnx" ;; esac
}
batch_file() {
  case $1 in smallcnn|dwnet|vit_tiny_opset17|lstm_rows) echo "$WORK/fashion_100.npy" ;; yolo_head) echo "testdata/corpus/yolo_head.calib.npy" ;; *) echo "$WORK/$1_batch.npy" ;; esac
}
calib_file() { case $1 in smallcnn|dwnet|vit_tiny_opset17|lstm_rows) echo "$WORK/fashion_8192.npy" ;; *) echo "$WORK/$1_calib.npy" ;; esac; }
input_name() { /usr/bin/python3 -c "import onnx,sys; print(onnx.load(sys.argv[1], load_external_data=False).graph.input[0].name)" "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
larger() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
# From a benchmark line "NAME M ms/batch R images/s (fastest F ms)": R, or F.
rate_of() { awk '{print $4}'; }
fastest_of() { awk '{print $7}'; }
# Images/s of ONNX Runtime on MODEL with BATCH at THREADS.
ort_line() { node tools/ort_bench.mjs "$1" "$(input_name "$1")" "$2" "$3" "$REPEATS"; }
ort_rate() { ort_line "$@" | rate_of; }
MODELS=(smallcnn dwnet resnet18_224 mobilenetv2_224)
# Tables 1 and 2 also run PyTorch exports of the test corpus that are not convolution chains: a small
# ViT (LayerNorm, attention, GELU as Erf), an LSTM over an image's rows and (table 1) a YOLO-style
# head (SiLU as Sigmoid and Mul, Resize, Concat).
INFER_MODELS=("${MODELS[@]}" vit_tiny_opset17 lstm_rows yolo_head)
CALIB_MODELS=("${MODELS[@]}" vit_tiny_opset17 lstm_rows)

echo "## 1. Inference: quant's float interpreter vs ONNX Runtime (images/s; batch 100 at 28x28, 8 at 224x224 and for yolo_head)"
echo "(images/s: the best median of $ROUNDS rounds of $REPEATS batches; fastest: quant's fastest batch over ONNX Runtime's, as a ratio of speeds)"
printf "| %-16s | %-7s | %12s | %12s | %9s | %9s |\n" model threads quant onnxruntime quant/ort fastest
printf "|%s|%s|%s|%s|%s|%s|\n" ------------------ --------- -------------- -------------- ----------- -----------
for m in "${INFER_MODELS[@]}"; do
  model=$(model_path "$m")
  for t in 1 "$THREADS_ALL"; do
    q=0 o=0 qf=1e9 of=1e9
    for _ in $(seq "$ROUNDS"); do
      line=$(OMP_NUM_THREADS=$t "$BENCH" "$model" "$(input_name "$model")" "$(batch_file "$m")" "$REPEATS")
      q=$(larger "$q" "$(rate_of <<< "$line")") qf=$(smaller "$qf" "$(fastest_of <<< "$line")")
      line=$(ort_line "$model" "$(batch_file "$m")" "$t")
      o=$(larger "$o" "$(rate_of <<< "$line")") of=$(smaller "$of" "$(fastest_of <<< "$line")")
    done
    printf "| %-16s | %-7s | %12s | %12s | %9s | %9s |\n" "$m" "$t" "$q" "$o" "$(ratio "$q" "$o")" "$(ratio "$of" "$qf")"
  done
done

echo
echo "## 2. Calibration throughput (quantize calibrate, whole process, $THREADS_ALL threads) vs ONNX Runtime inference"
echo "(each: the best of $ROUNDS rounds, ONNX Runtime's inference measured in alternation with the calibration, not taken from table 1)"
printf "| %-16s | %-8s | %-16s | %12s | %16s | %9s |\n" model samples statistics "samples/s" "ort images/s" "quant/ort"
printf "|%s|%s|%s|%s|%s|%s|\n" ------------------ ---------- ------------------ -------------- ------------------ -----------
for m in "${CALIB_MODELS[@]}"; do
  model=$(model_path "$m")
  calib=$(calib_file "$m")
  n=$(/usr/bin/python3 -c "import numpy as np,sys; print(np.load(sys.argv[1], mmap_mode='r').shape[0])" "$calib")
  for kind in minmax histograms; do
    flag=$([ $kind = minmax ] && echo --no-histograms || true)
    rate=0 o=0
    for _ in $(seq "$ROUNDS"); do
      start=$(date +%s.%N)
      "$QUANTIZE" -q calibrate "$model" --calib "$calib" $flag --stats-out "$WORK/stats.json"
      end=$(date +%s.%N)
      rate=$(larger "$rate" "$(awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')")
      o=$(larger "$o" "$(ort_rate "$model" "$(batch_file "$m")" "$THREADS_ALL")")
    done
    printf "| %-16s | %-8s | %-16s | %12s | %16s | %9s |\n" "$m" "$n" "$kind" "$rate" "$o" "$(ratio "$rate" "$o")"
  done
done

echo
echo "## 3. Peak memory (max RSS, MB) by number of samples (dwnet, 28x28)"
peak_mb() { /usr/bin/python3 -c "
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))" "$@"; }
printf "| %-34s | %8s | %8s | %8s |\n" command 64 1024 8192
printf "|%s|%s|%s|%s|\n" ------------------------------------ ---------- ---------- ----------
row() {
  local label=$1; shift
  local cells=()
  for n in 64 1024 8192; do cells+=("$(peak_mb "$@" "$n")"); done
  printf "| %-34s | %8s | %8s | %8s |\n" "$label" "${cells[@]}"
}
calib_n() { "$QUANTIZE" -q calibrate testdata/models/dwnet.onnx --calib "$WORK/fashion_8192.npy" --stats-out "$WORK/s.json" --calib-size "$1"; }
infer_n() {
  /usr/bin/python3 -c "import numpy as np,sys; np.save(sys.argv[2], np.load(sys.argv[1])[:int(sys.argv[3])])" "$WORK/fashion_8192.npy" "$WORK/in.npy" "$1"
  "$QUANTIZE" -q infer testdata/models/dwnet.onnx --input "$WORK/in.npy" -o "$WORK/out"
  rm -rf "$WORK/out"
}
export -f calib_n infer_n
export QUANTIZE WORK
row "calibrate (min/max + histograms)" bash -c 'calib_n "$0"'
row "infer" bash -c 'infer_n "$0"'

echo
echo "## 4. The INT8 model quant writes vs the float model, in ONNX Runtime (images/s, $THREADS_ALL threads, all graph optimizations)"
printf "| %-16s | %12s | %12s | %10s |\n" model float int8 int8/float
printf "|%s|%s|%s|%s|\n" ------------------ -------------- -------------- ------------
for m in "${MODELS[@]}"; do
  model=$(model_path "$m")
  "$QUANTIZE" -q optimize "$model" --calib "$(calib_file "$m")" -o "$WORK/$m.int8.onnx"
  f=0 i=0
  for _ in $(seq "$ROUNDS"); do
    f=$(larger "$f" "$(ort_rate "$model" "$(batch_file "$m")" "$THREADS_ALL")")
    i=$(larger "$i" "$(ort_rate "$WORK/$m.int8.onnx" "$(batch_file "$m")" "$THREADS_ALL")")
  done
  printf "| %-16s | %12s | %12s | %10s |\n" "$m" "$f" "$i" "$(ratio "$i" "$f")"
done
