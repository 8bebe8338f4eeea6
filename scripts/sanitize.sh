#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer: builds into
# build-sanitize (-DQUANT_SANITIZE=address,undefined, optimized with debug info) and runs CTest there.
# Any report fails the run (-fno-sanitize-recover, halt_on_error). Takes about 25 minutes on 2 cores.
#   bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUANT_SANITIZE=address,undefined >/dev/null
cmake --build build-sanitize -j "$(nproc)"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"
