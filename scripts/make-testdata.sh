#!/usr/bin/env bash
# Regenerates the bundled example data in testdata/ from Debian's dataset-fashion-mnist
# (the files are committed; run this only to remake them).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf testdata/calib/fashion_100
node tools/make_fashion_pngs.mjs testdata/calib/fashion_100 100 train 0
node tools/make_fashion_samples.mjs testdata/inputs/fashion_test_8.npy testdata/inputs/fashion_test_8_labels.npy 8 test 0
node tools/make_fashion_samples.mjs testdata/inputs/fashion_test_500.npy testdata/inputs/fashion_test_500_labels.npy 500 test 0
