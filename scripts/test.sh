#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole suite under CTest
# (unit tests, ONNX backend conformance, agreement with ONNX Runtime, the command line).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
