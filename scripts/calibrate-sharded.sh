#!/usr/bin/env bash
# Calibrates in N shards side by side on this machine (xargs -P) and merges them into one
# statistics file, identical to a single `quantize calibrate` over all the samples:
#   scripts/calibrate-sharded.sh N STATS_OUT.json MODEL.onnx [calibrate options...]
# e.g.
#   scripts/calibrate-sharded.sh 4 stats.json model.onnx --calib images/ --threads 1
#   quantize optimize model.onnx --stats stats.json -m entropy -o model.q.onnx
# Each shard takes every N-th group of 16 samples (`calibrate --shard I/N`); give each --threads so that the N
# shards together use the cores once. QUANTIZE names the binary (default: quantize on the PATH).
# docs/scaling.md has the same for a Slurm array job and a Kubernetes Indexed Job.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 N STATS_OUT.json MODEL.onnx [calibrate options...]" >&2
  exit 2
fi
QUANTIZE=${QUANTIZE:-quantize}
N=$1
OUT=$2
shift 2
PARTS=$(mktemp -d "${OUT}.shards.XXXXXX")
trap 'rm -rf "$PARTS"' EXIT
seq 0 $((N - 1)) | xargs -P "$N" -I{} "$QUANTIZE" calibrate "$@" --shard "{}/$N" --stats-out "$PARTS/shard-{}.json"
"$QUANTIZE" merge-stats "$PARTS"/shard-*.json -o "$OUT"
