#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan+UBSan, build-fuzz/) and runs each for RUNS
# executions (default 1,000,000; or for a time, e.g. 600s), starting from its seeds in testdata/fuzz/<target>/ (copied: new
# inputs libFuzzer finds go to build-fuzz/corpus/). Prints one line per target; a crash, sanitizer
# report, timeout or uncaught exception stops the run with the input saved in build-fuzz/crashes/.
#   bash scripts/fuzz.sh [RUNS|SECONDSs] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
shift || true
if [[ $RUNS == *s ]]; then LIMIT=(-max_total_time="${RUNS%s}"); else LIMIT=(-runs="$RUNS"); fi
TARGETS=("${@:-load_model script npy image stats}")
read -r -a TARGETS <<< "${TARGETS[*]}"
bash scripts/install-deps.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUANT_FUZZ=ON -DQUANT_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${TARGETS[@]/#/fuzz_}"
declare -A MAX_LEN=([load_model]=4096 [script]=4096 [npy]=1024 [image]=4096 [stats]=32768)
mkdir -p build-fuzz/crashes
for t in "${TARGETS[@]}"; do
  corpus=build-fuzz/corpus/$t
  mkdir -p "$corpus"
  cp testdata/fuzz/"$t"/* "$corpus"/
  start=$(date +%s)
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       build-fuzz/fuzz/fuzz_"$t" "$corpus" "${LIMIT[@]}" -max_len="${MAX_LEN[$t]}" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 > build-fuzz/"$t".log 2>&1; then
    echo "fuzz_$t: FAILED after $(( $(date +%s) - start )) s, see build-fuzz/$t.log and build-fuzz/crashes/"
    tail -30 build-fuzz/"$t".log
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/"$t".log)
  echo "fuzz_$t: $execs executions in $(( $(date +%s) - start )) s, no crash ($(ls "$corpus" | wc -l) inputs in the corpus)"
done
