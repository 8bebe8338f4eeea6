// Range choosers: from a tensor's statistics to the real range [lo, hi] its quantization covers.
// One function per method, pure (docs/calibration.md has the formulas and the numbers):
//   minmax:     [min, max]
//   percentile: the (100 - p)-th and p-th percentiles of the signed histogram (both tails clipped)
//   entropy:    TensorRT's KL-divergence threshold t on the |x| histogram, range [max(min, -t), min(max, t)]
//   mse:        the threshold t minimizing the expected squared quantization error, same clipping
#pragma once
#include <string>

#include "calib/stats.h"

namespace quant::calib {

enum class Method { MinMax, Percentile, Entropy, Mse };

Method method_from_name(const std::string& name);  // throws Usage listing the methods
const char* method_name(Method m);
bool method_needs_histograms(Method m);

struct Range {
  double lo = 0, hi = 0;
};

struct MethodOptions {
  double percentile = 99.99;  // for Percentile
  int levels = 255;           // quantization steps of the target type, for Mse (qmax - qmin)
};

Range choose_range(const TensorStats& stats, Method method, const MethodOptions& options);

// The pieces, exposed for tests:
double histogram_percentile(const Histogram& h, double fraction);  // value below which `fraction` of the counts lie
double entropy_threshold(const Histogram& abs_hist, int target_levels = 128);
double mse_threshold(const TensorStats& stats, int levels);

}  // namespace quant::calib
