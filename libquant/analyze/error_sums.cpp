#include "analyze/error_sums.h"

#include <algorithm>
#include <cmath>

namespace quant::analyze {

void ErrorSums::add(const float* x, const float* y, int64_t n, const float* q_input, double range_lo, double range_hi) {
  for (int64_t i = 0; i < n; ++i) {
    const double a = x[i], b = y[i], d = a - b;
    signal += a * a;
    noise += d * d;
    dot += a * b;
    quant_power += b * b;
    max_abs = std::max(max_abs, std::abs(d));
    seen_min = std::min(seen_min, a);
    seen_max = std::max(seen_max, a);
    if (q_input) clipped += q_input[i] < range_lo || q_input[i] > range_hi;
  }
  count += n;
}

void ErrorSums::merge(const ErrorSums& o) {
  signal += o.signal, noise += o.noise, dot += o.dot, quant_power += o.quant_power;
  max_abs = std::max(max_abs, o.max_abs);
  count += o.count, clipped += o.clipped;
  seen_min = std::min(seen_min, o.seen_min), seen_max = std::max(seen_max, o.seen_max);
}

double ErrorSums::sqnr_db() const {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}

double ErrorSums::cosine() const {
  if (signal == 0 || quant_power == 0) return signal == quant_power ? 1 : 0;
  return dot / std::sqrt(signal * quant_power);
}

double ErrorSums::rms() const { return count ? std::sqrt(noise / static_cast<double>(count)) : 0; }
double ErrorSums::clipped_fraction() const { return count ? static_cast<double>(clipped) / static_cast<double>(count) : 0; }

}  // namespace quant::analyze
