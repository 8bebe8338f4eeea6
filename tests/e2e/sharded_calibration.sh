#!/usr/bin/env bash
# Calibration results do not depend on how the samples are split: --batch-size 1 and 32, --threads
# 1 and 2, and 3 shards (run side by side by scripts/calibrate-sharded.sh, i.e. xargs -P) merged
# with merge-stats all give byte-identical statistics, and optimize gives byte-identical models and
# parameters JSON from them as from calibrating itself, for all four methods. Then the merge's
# refusals: a missing or repeated shard, another model's statistics, a bad --shard.
# Usage: sharded_calibration.sh QUANTIZE_BINARY SOURCE_DIR
set -u
. "$2/tests/lib.sh" "$1" "$2"
QUANTIZE=$(realpath "$QUANTIZE")
SRC=$(realpath "$SRC")
cd "$WORK"
cp "$SRC/testdata/models/dwnet.onnx" "$SRC/testdata/models/smallcnn.onnx" "$SRC/testdata/inputs/fashion_test_500.npy" .
DATA=(--calib fashion_test_500.npy --calib-size 301)

# Batch size and threads.
for run in "1 1" "32 1" "1 2" "32 2" "7 2"; do
  set -- $run
  "$QUANTIZE" -q --threads "$2" calibrate dwnet.onnx "${DATA[@]}" --batch-size "$1" --stats-out "stats-b$1-t$2.json" ||
    fail "calibrate --batch-size $1 --threads $2 failed"
done
for f in stats-b32-t1.json stats-b1-t2.json stats-b32-t2.json stats-b7-t2.json; do
  cmp -s stats-b1-t1.json "$f" && ok "$f is byte-identical to --batch-size 1 --threads 1" || fail "$f differs from --batch-size 1 --threads 1"
done

# Three shards through the xargs -P example, merged.
QUANTIZE="$QUANTIZE" bash "$SRC/scripts/calibrate-sharded.sh" 3 merged.json dwnet.onnx "${DATA[@]}" --threads 1 -q 2>shards.log ||
  fail "calibrate-sharded.sh failed: $(tail -c 300 shards.log)"
cmp -s stats-b1-t1.json merged.json && ok "3 shards merged are byte-identical to one calibration" || fail "3 shards merged differ from one calibration"
ls merged.json.shards.* >/dev/null 2>&1 && fail "the shard folder was left behind" || ok "the shard folder is removed"

# The Slurm array script, run as plain bash with the variables Slurm would set.
mkdir slurm-shards
for i in 0 1 2; do
  MODEL=dwnet.onnx CALIB=fashion_test_500.npy SHARDS=slurm-shards SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1 \
    QUANTIZE="$QUANTIZE" bash "$SRC/scripts/cluster/slurm-calibrate.sbatch" -q 2>>slurm.log || fail "the Slurm script failed for task $i: $(tail -c 300 slurm.log)"
done
"$QUANTIZE" -q merge-stats slurm-shards/shard-*.json -o slurm.json || fail "merging the Slurm shards failed"
"$QUANTIZE" -q calibrate dwnet.onnx --calib fashion_test_500.npy --stats-out all500.json || fail "calibrating on all 500 failed"
cmp -s slurm.json all500.json && ok "the Slurm array script's 3 shards merged equal one calibration" || fail "the Slurm shards merged differ from one calibration"

# The Kubernetes manifests parse, and the calibrate Job's shard count is its completion count.
/usr/bin/python3 - "$SRC/scripts/cluster" <<'PY' && ok "the Kubernetes manifests parse; --shard \$(SHARD)/N matches completions N" || fail "the Kubernetes manifests are wrong"
import sys, yaml
d = sys.argv[1]
job = yaml.safe_load(open(f"{d}/k8s-calibrate-job.yaml"))
merge = yaml.safe_load(open(f"{d}/k8s-merge-job.yaml"))
spec = job["spec"]
args = spec["template"]["spec"]["containers"][0]["args"]
assert spec["completionMode"] == "Indexed" and args[0] == "calibrate", args
assert args[args.index("--shard") + 1] == f"$(SHARD)/{spec['completions']}", args
assert "shard-$(SHARD).json" in args[args.index("--stats-out") + 1]
assert "merge-stats /data/shards/shard-*.json" in " ".join(merge["spec"]["template"]["spec"]["containers"][0]["command"])
PY

# Every method: optimize from the merged shards = optimize calibrating itself.
mkdir one merged
for method in minmax percentile entropy mse; do
  (cd one && "$QUANTIZE" -q optimize ../dwnet.onnx --calib ../fashion_test_500.npy --calib-size 301 -m "$method" -o "dw-$method.onnx") || fail "optimize -m $method failed"
  (cd merged && "$QUANTIZE" -q optimize ../dwnet.onnx --stats ../merged.json -m "$method" -o "dw-$method.onnx") || fail "optimize --stats -m $method failed"
  for f in "dw-$method.onnx" "dw-$method.json"; do
    cmp -s "one/$f" "merged/$f" && ok "-m $method: $f from merged shards is byte-identical to calibrating in one run" || fail "-m $method: $f differs"
  done
done

# optimize calibrating itself observes only the tensors its plan quantizes (a ViT: not its
# LayerNormalization outputs or GELU's inner tensors), and chooses exactly what it chooses from a
# calibration of every tensor: the default policy, --full-integer, and a script's 16-bit rule.
cp "$SRC/testdata/corpus/vit_tiny_opset17.onnx" vit.onnx
echo 'quantization_param(/blocks/blocks.0/attn/Softmax, precision_mode=a16_w16)' > vit_a16.alls
V=(--calib "input=$WORK/fashion_test_500.npy" --calib-size 40)
"$QUANTIZE" -q calibrate vit.onnx "${V[@]}" --stats-out vit-all.json || fail "calibrating the ViT failed"
mkdir vit-one vit-stats
for run in "minmax" "entropy" "percentile --full-integer" "mse --model-script ../vit_a16.alls"; do
  set -- $run
  name="vit-$1$([ $# -gt 1 ] && echo "-${2#--}")"
  (cd vit-one && "$QUANTIZE" optimize ../vit.onnx "${V[@]}" -m "$@" -o "$name.onnx" 2>"$name.log") || fail "optimize $run on the ViT failed"
  (cd vit-stats && "$QUANTIZE" -q optimize ../vit.onnx --stats ../vit-all.json -m "$@" -o "$name.onnx") || fail "optimize --stats $run on the ViT failed"
  grep -q "calibration observes [0-9]* of the 70 float tensors" "vit-one/$name.log" && ok "$run: optimize says how many of the ViT's tensors it observes" ||
    fail "$run: optimize did not say what it observes: $(cat "vit-one/$name.log")"
  for f in "$name.onnx" "$name.json"; do
    cmp -s "vit-one/$f" "vit-stats/$f" && ok "$run: $f from observing only the plan's tensors equals calibrate + optimize --stats" || fail "$run: $f differs"
  done
done
observed=$(sed -n 's/.*calibration observes \([0-9]*\) of the 70.*/\1/p' vit-one/vit-minmax.log)
[ -n "$observed" ] && [ "$observed" -lt 50 ] && ok "the ViT's default plan needs $observed of its 70 tensors observed" ||
  fail "the ViT's default plan observed '$observed' of 70 tensors"

# The shards themselves, kept this time.
for i in 0 1 2; do "$QUANTIZE" -q calibrate dwnet.onnx "${DATA[@]}" --shard "$i/3" --stats-out "s$i.json" || fail "shard $i/3 failed"; done
python3 -c "import json; s=json.load(open('s1.json')); assert s['samples']==96 and s['shard']=={'index':1,'count':3} and s['dataset_samples']==301, s['samples']" &&
  ok "shard 1/3 of 301 samples holds groups 1, 4, ..., 16 of 16: 96, says so" || fail "shard 1/3's file does not record the shard"
expect_exit 0 "merge-stats in any order" "$QUANTIZE" merge-stats s2.json s0.json s1.json -o any-order.json
cmp -s any-order.json merged.json && ok "the order of the shards does not matter" || fail "merging in another order gives another file"
expect_exit 7 "a missing shard is refused" "$QUANTIZE" merge-stats s0.json s2.json -o bad.json
expect_stderr "the missing shard is named" "shard 1/3 missing"
expect_exit 7 "a shard given twice is refused" "$QUANTIZE" merge-stats s0.json s1.json s1.json s2.json -o bad.json
expect_stderr "the repeated shard is named" "shard 1/3 is given twice"
"$QUANTIZE" -q calibrate smallcnn.onnx "${DATA[@]}" --stats-out other.json || fail "calibrating smallcnn failed"
"$QUANTIZE" -q calibrate dwnet.onnx "${DATA[@]}" --no-histograms --stats-out plain.json || fail "calibrating without histograms failed"
expect_exit 7 "another model's statistics are refused" "$QUANTIZE" merge-stats stats-b1-t1.json other.json -o bad.json
expect_stderr "the foreign tensor is named" "has tensor '.*' that '(other|stats-b1-t1).json' lacks"
expect_exit 7 "statistics with and without histograms are refused" "$QUANTIZE" merge-stats stats-b1-t1.json plain.json -o bad.json
expect_stderr "... saying why" "with histograms cannot be merged with statistics without"
expect_exit 7 "a shard and an unsharded file are refused" "$QUANTIZE" merge-stats s0.json stats-b1-t1.json -o bad.json
expect_exit 2 "one file is not a merge" "$QUANTIZE" merge-stats s0.json -o bad.json
[ -e bad.json ] && fail "a refused merge wrote a file" || ok "no refused merge wrote a file"
expect_exit 0 "unsharded statistics (two calibrations) merge" "$QUANTIZE" merge-stats stats-b1-t1.json stats-b32-t2.json -o twice.json
python3 -c "import json; assert json.load(open('twice.json'))['samples']==602" && ok "... and count both runs' samples" || fail "merged unsharded samples wrong"
expect_exit 2 "--shard 3/3 is refused" "$QUANTIZE" calibrate dwnet.onnx "${DATA[@]}" --shard 3/3 --stats-out bad.json
expect_stderr "... saying the bounds" "0 <= I < N"
expect_exit 2 "--shard 1 is refused" "$QUANTIZE" calibrate dwnet.onnx "${DATA[@]}" --shard 1 --stats-out bad.json
expect_stderr "... saying the form" "--shard takes I/N"
expect_exit 2 "a shard with no samples is refused" "$QUANTIZE" calibrate dwnet.onnx --calib fashion_test_500.npy --calib-size 2 --shard 2/3 --stats-out bad.json
expect_stderr "... saying how many there are" "holds no samples: the data has only 2"
expect_exit 0 "optimize accepts one shard" "$QUANTIZE" optimize dwnet.onnx --stats s0.json -o shard0.onnx
expect_stderr "... with a warning that it is one shard" "holds shard 0/3 only: 109 of the 301"
python3 - <<'PY' || fail "a version-1 statistics file could not be written for the test"
import json
s = json.load(open('plain.json')); s['version'] = 1; json.dump(s, open('old-stats.json', 'w'))
PY
expect_exit 6 "a version-1 statistics file is refused" "$QUANTIZE" optimize dwnet.onnx --stats old-stats.json -o v1.onnx
expect_stderr "... saying to calibrate again" "version 1 .* run 'quantize calibrate' again"
python3 - <<'PY' || fail "a version-2 statistics file could not be written for the test"
import json
s = json.load(open('plain.json')); s['version'] = 2; del s['groups_stacked']; json.dump(s, open('v2-stats.json', 'w'))
PY
expect_exit 6 "a version-2 statistics file (shards of single samples) is refused" "$QUANTIZE" optimize dwnet.onnx --stats v2-stats.json -o v2.onnx
expect_stderr "... saying to calibrate again" "version 2 .* run 'quantize calibrate' again"

# dwnet ran its groups stacked. So does a GRU, whose state [layers, batch, hidden] has the batch on
# axis 1 (its samples' values come in turns: 40 samples are groups of 16, 16 and 8, the last padded).
# A model whose tensors mix the samples (a Softmax over the batch) runs sample by sample, says so and
# records it. Both are just as exact.
python3 -c "import json; assert json.load(open('s1.json'))['groups_stacked'] is True" && ok "dwnet's statistics say the groups ran stacked" ||
  fail "dwnet's statistics do not say groups_stacked: true"
cp "$SRC/testdata/corpus/gru_rows.onnx" gru.onnx
/usr/bin/python3 - <<'PY' || fail "the batch-softmax model could not be written for the test"
import onnx
from onnx import TensorProto, helper as h
nodes = [h.make_node("Flatten", ["input"], ["flat"]), h.make_node("Softmax", ["flat"], ["out"], axis=0)]
g = h.make_graph(nodes, "batch_softmax", [h.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
                 [h.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 784])])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), "batch_softmax.onnx")
PY
for model in gru batch_softmax; do
  M=("$model.onnx" --calib input=fashion_test_500.npy --calib-size 40)
  expect_exit 0 "calibrating $model" "$QUANTIZE" --threads 2 calibrate "${M[@]}" --stats-out "$model-b32.json"
  if [ $model = gru ]; then
    python3 -c "import json; assert json.load(open('gru-b32.json'))['groups_stacked'] is True" && ok "... stacked (groups_stacked: true)" ||
      fail "the GRU's statistics do not record groups_stacked: true"
  else
    expect_stderr "... says it runs the samples one by one, and why" "runs the samples one by one, not stacked in groups of 16: tensor 'out' of two samples stacked in 16 rows differs from the samples run alone, whatever axis is taken as the batch"
    python3 -c "import json; assert json.load(open('$model-b32.json'))['groups_stacked'] is False" && ok "... and records groups_stacked: false" ||
      fail "$model's statistics do not record groups_stacked: false"
  fi
  "$QUANTIZE" -q --threads 1 calibrate "${M[@]}" --batch-size 1 --stats-out "$model-b1.json" || fail "calibrating $model with --batch-size 1 failed"
  cmp -s "$model-b1.json" "$model-b32.json" && ok "$model: statistics byte-identical for --batch-size 1 --threads 1 and 32/2" ||
    fail "$model: statistics depend on batch size or threads"
  for i in 0 1; do "$QUANTIZE" -q calibrate "${M[@]}" --shard "$i/2" --stats-out "$model-s$i.json" || fail "$model shard $i/2 failed"; done
  "$QUANTIZE" -q merge-stats "$model-s0.json" "$model-s1.json" -o "$model-merged.json" && cmp -s "$model-merged.json" "$model-b32.json" &&
    ok "$model: 2 shards merged equal one calibration" || fail "$model: the shards merged differ from one calibration"
done
finish
