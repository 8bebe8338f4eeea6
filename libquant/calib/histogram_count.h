// Counting a tensor's values into histograms (stats.h): where each value lands on a grid, and the
// counting loop, the hot spot of histogram calibration (one increment per value and histogram).
#pragma once
#include <cstdint>
#include <span>

#include "calib/stats.h"

namespace quant::calib {

// floor(v / 2^e) as a grid index, given inv_width = 2^-e. v * 2^-e is exact in double for every
// float v and grid exponent; truncation then a step down for negative fractions is floor.
inline int64_t grid_index(double v, double inv_width) {
  const double x = v * inv_width;
  const auto k = static_cast<int64_t>(x);
  return k - (x < static_cast<double>(k) ? 1 : 0);
}

// One histogram a pass counts into: of the values themselves, or of their magnitudes.
struct CountTarget {
  Histogram* histogram;
  bool absolute;
};

// Scalar: one value at a time, the definition. Fastest: the vector loop where the CPU has it
// (x86-64 with AVX2), else Scalar. Both give the same counts; tests compare them.
enum class CountPath { Scalar, Fastest };

// The least and the greatest of a tensor's values, NaNs aside (lo > hi when all are NaN).
struct ValueRange {
  float lo, hi;
};

// Adds every value (or |value|, per target) to each target histogram, whose grid must cover them
// all; NaNs are skipped. One pass over the values serves all targets. `range` is the values' own:
// the Fastest path counts on the part of each grid it spans.
void count_values(std::span<const float> values, std::span<const CountTarget> targets, ValueRange range, CountPath path = CountPath::Fastest);

}  // namespace quant::calib
