// Per-tensor calibration statistics. Memory per tensor is fixed (two 2048-bin histograms), whatever
// the number of samples, and the result does not depend on batch size, order or thread count:
//   pass 1 records the exact min and max;
//   pass 2 fills histograms over the ranges pass 1 found: `signed_hist` over [min, max] and
//   `abs_hist` over [0, max(|min|, |max|)] (integer counts, so merging is exact).
// Pass 2 runs only when a histogram method needs it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace quant::calib {

constexpr int kHistogramBins = 2048;

struct Histogram {
  double lo = 0, hi = 0;            // the range the bins cover
  std::vector<uint64_t> counts;     // kHistogramBins bins; values outside [lo, hi] go to the end bins
  double bin_width() const { return (hi - lo) / static_cast<double>(counts.size()); }
  uint64_t total() const;
};

struct TensorStats {
  double min = 0, max = 0;
  uint64_t count = 0;      // values seen in pass 1
  Histogram signed_hist;   // over [min, max]
  Histogram abs_hist;      // of |x| over [0, max|x|]
  bool has_histograms() const { return !signed_hist.counts.empty(); }
};

// Statistics of every observed tensor, by tensor name.
struct Statistics {
  std::map<std::string, TensorStats> tensors;
  uint64_t samples = 0;
  // What the sample sources changed in the data (SampleSource::adjustments), per input.
  std::vector<std::string> data_adjustments;
};

// Pass 1: folds a tensor's values into min/max/count.
void observe_minmax(TensorStats& stats, const Tensor& values);
// Starts the histograms from the min/max of pass 1.
void init_histograms(TensorStats& stats);
// Pass 2: adds a tensor's values to both histograms.
void observe_histograms(TensorStats& stats, const Tensor& values);
// Adds b's counts into a (same tensor, same pass-1 ranges): for merging shards.
void merge_into(TensorStats& a, const TensorStats& b);

}  // namespace quant::calib
