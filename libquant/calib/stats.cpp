#include "calib/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quant::calib {

uint64_t Histogram::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts) t += c;
  return t;
}

namespace {

// Values as float: every observed tensor is float32 (the calibrator only observes those).
const float* float_values(const Tensor& t) { return t.data<float>(); }

inline void add_to(Histogram& h, double v, double inv_width) {
  const int64_t last = static_cast<int64_t>(h.counts.size()) - 1;
  int64_t bin = static_cast<int64_t>((v - h.lo) * inv_width);
  bin = std::clamp<int64_t>(bin, 0, last);
  ++h.counts[static_cast<size_t>(bin)];
}

}  // namespace

void observe_minmax(TensorStats& stats, const Tensor& values) {
  const float* v = float_values(values);
  const int64_t n = values.numel();
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
#pragma omp parallel for reduction(min : lo) reduction(max : hi) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  if (n == 0) return;
  if (stats.count == 0) {
    stats.min = lo;
    stats.max = hi;
  } else {
    stats.min = std::min<double>(stats.min, lo);
    stats.max = std::max<double>(stats.max, hi);
  }
  stats.count += static_cast<uint64_t>(n);
}

void init_histograms(TensorStats& stats) {
  stats.signed_hist = {stats.min, stats.max, std::vector<uint64_t>(kHistogramBins, 0)};
  stats.abs_hist = {0.0, std::max(std::abs(stats.min), std::abs(stats.max)), std::vector<uint64_t>(kHistogramBins, 0)};
}

void observe_histograms(TensorStats& stats, const Tensor& values) {
  const float* v = float_values(values);
  const int64_t n = values.numel();
  Histogram& s = stats.signed_hist;
  Histogram& a = stats.abs_hist;
  // A zero-width range (a constant tensor) puts everything in bin 0.
  const double inv_s = s.hi > s.lo ? static_cast<double>(s.counts.size()) / (s.hi - s.lo) : 0.0;
  const double inv_a = a.hi > a.lo ? static_cast<double>(a.counts.size()) / (a.hi - a.lo) : 0.0;
#pragma omp parallel if (n > (1 << 16))
  {
    Histogram local_s{s.lo, s.hi, std::vector<uint64_t>(s.counts.size(), 0)};
    Histogram local_a{a.lo, a.hi, std::vector<uint64_t>(a.counts.size(), 0)};
#pragma omp for nowait
    for (int64_t i = 0; i < n; ++i) {
      add_to(local_s, v[i], inv_s);
      add_to(local_a, std::abs(static_cast<double>(v[i])), inv_a);
    }
#pragma omp critical
    for (size_t b = 0; b < s.counts.size(); ++b) {
      s.counts[b] += local_s.counts[b];
      a.counts[b] += local_a.counts[b];
    }
  }
}

void merge_into(TensorStats& a, const TensorStats& b) {
  for (size_t i = 0; i < a.signed_hist.counts.size() && i < b.signed_hist.counts.size(); ++i) {
    a.signed_hist.counts[i] += b.signed_hist.counts[i];
    a.abs_hist.counts[i] += b.abs_hist.counts[i];
  }
}

}  // namespace quant::calib
