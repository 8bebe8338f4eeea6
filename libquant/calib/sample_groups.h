// Calibration runs each group of samples (stats.h, kSampleGroup consecutive samples) through the
// interpreter as one batch: the samples stacked along the batch axis, a short last group padded to
// kSampleGroup rows by repeating its last sample. Every group of every run, sharded or not, is then
// computed by the same kernels at the same batch size, so each sample's float values do not depend
// on --batch-size, --threads or --shard, and the statistics stay bit-identical (a batch of 16 runs
// the small models 2-2.5x faster per sample than 16 batches of 1, and observes 16x fewer tensors).
//
// Stacking pays where samples are small (a 28x28 image: the per-run overhead is most of the cost);
// where one sample's tensor exceeds kStackableBytes, 16 stacked ones spill out of the caches and the
// samples run one by one (kStackableBytes below).
//
// Stacking is right only when the model treats axis 0 of its inputs as a batch: every tensor it
// computes then has the rows of its samples one after the other. stacking_problem() checks that
// once per calibration on the dataset's first two samples; where it fails (a Reshape to a fixed
// batch of 1, a sequence-first RNN, a sum over axis 0) the samples run one by one.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "calib/calibrator.h"

namespace quant::calib {

constexpr size_t kStackableBytes = 256 * 1024;

// The samples' inputs stacked along axis 0 and padded to `rows` by repeating the last sample;
// nullopt when they cannot stack (an input whose sample is the whole tensor, or shapes that differ).
std::optional<interp::TensorMap> stack_samples(const std::vector<interp::TensorMap>& samples, int64_t rows);

// Why samples should not run stacked (empty: they should): a tensor larger than kStackableBytes,
// or stacking would not give each sample's own values: the
// dataset's first two samples (the first twice when there is one) run alone and stacked, and every
// tensor of the stacked run must have the two samples' rows (shape [2a, ...] for [a, ...]) with
// their values (to 1e-4 of the tensor's largest magnitude: kernels may pick another summation
// order for another batch size).
std::string stacking_problem(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, int64_t dataset);

}  // namespace quant::calib
