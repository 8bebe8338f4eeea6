// Sums that give the error measures of a quantized path against float, accumulated over samples
// (memory does not grow with them) and merged in sample order (results do not depend on threads):
//   SQNR   = 10 log10( sum x^2 / sum (x - y)^2 )      (x float, y quantized path; inf when equal)
//   cosine = sum x*y / sqrt(sum x^2 * sum y^2)
//   RMS    = sqrt( sum (x - y)^2 / n ),  max = max |x - y|
//   clipped fraction = values outside the quantization range / n   (on the quantized path)
#pragma once
#include <cstdint>
#include <limits>

namespace quant::analyze {

struct ErrorSums {
  double signal = 0, noise = 0, dot = 0, quant_power = 0, max_abs = 0;
  int64_t count = 0, clipped = 0;
  double seen_min = std::numeric_limits<double>::infinity(), seen_max = -std::numeric_limits<double>::infinity();

  // x: float values, y: the quantized path's values, n of each. `range_lo/hi` the quantization
  // range and `q_input` the values the quantizer saw (nullptr: no range to clip, nothing counted).
  void add(const float* x, const float* y, int64_t n, const float* q_input = nullptr, double range_lo = 0, double range_hi = 0);
  void merge(const ErrorSums& other);

  double sqnr_db() const;  // +inf when the paths agree exactly
  double cosine() const;
  double rms() const;
  double clipped_fraction() const;
};

}  // namespace quant::analyze
