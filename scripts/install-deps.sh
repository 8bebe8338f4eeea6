#!/usr/bin/env bash
# Installs everything quant needs to build, test and benchmark, from Debian's packages and the npm
# registry. Safe to run again. Run as root (or with sudo available).
#   bash scripts/install-deps.sh [--build-only]   (--build-only: what building quantize needs, no test tools; the Dockerfile's)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake pkg-config
  libprotobuf-dev protobuf-compiler   # ONNX's protobuf runtime
  libonnx-dev                         # ONNX 1.12: generated onnx-ml.pb.h, onnx_proto, schemas, checker
  libcli11-dev nlohmann-json3-dev libspdlog-dev catch2
  libstb-dev                          # stb_image: PNG/JPEG calibration images
  zlib1g-dev                          # PNG data checked (bounded inflate) before stb decodes it
  libdnnl-dev                         # oneDNN: sgemm (CPUID-dispatched)
  libonnx-testdata                    # ONNX backend node tests (conformance suite)
  dataset-fashion-mnist               # images for the bundled example, benchmarks and accuracy figures
  python3-onnx python3-numpy          # the naive ORT-style baseline the corpus test compares against
  python3-torch                       # writes the ResNet-18/MobileNetV2 corpus models (too large to commit)
  python3-yaml                        # the Kubernetes manifests of docs/scaling.md are parsed by a test
  clang libclang-rt-14-dev libomp-dev # libFuzzer targets (scripts/fuzz.sh)
)
BUILD_ONLY=false
[ "${1:-}" = "--build-only" ] && BUILD_ONLY=true
if $BUILD_ONLY; then
  PACKAGES=(build-essential cmake pkg-config libprotobuf-dev protobuf-compiler libonnx-dev libcli11-dev nlohmann-json3-dev
            libspdlog-dev libstb-dev zlib1g-dev libdnnl-dev)
fi
# Node.js runs ONNX Runtime (npm onnxruntime-node), the reference runtime of the tests. Take
# Debian's only where no node/npm is installed already (the machine image may ship its own).
if ! $BUILD_ONLY && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime for Node.js, pinned in tools/package.json. --ignore-scripts: its install script
# downloads GPU libraries we neither need nor can reach; the CPU runtime ships in the package.
if ! $BUILD_ONLY && [ ! -d tools/node_modules/onnxruntime-node ]; then
  echo "install-deps: installing onnxruntime-node (npm)"
  (cd tools && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
