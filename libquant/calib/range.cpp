#include "calib/range.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace quant::calib {
namespace {

struct MethodRow {
  Method method;
  const char* name;
  bool needs_histograms;
};
constexpr MethodRow kMethods[] = {
    {Method::MinMax, "minmax", false},
    {Method::Percentile, "percentile", true},
    {Method::Entropy, "entropy", true},
    {Method::Mse, "mse", true},
};

const MethodRow& row(Method m) {
  for (const MethodRow& r : kMethods)
    if (r.method == m) return r;
  throw Error(ErrorKind::Internal, "unknown calibration method");
}

// A symmetric threshold t applied to the observed range: clip both ends at t, never widen.
Range clip_to(const TensorStats& s, double t) { return {std::max(s.min, -t), std::min(s.max, t)}; }

}  // namespace

Method method_from_name(const std::string& name) {
  for (const MethodRow& r : kMethods)
    if (name == r.name) return r.method;
  throw Error(ErrorKind::Usage, "unknown calibration method '" + name + "' (expected minmax, percentile, entropy or mse)");
}
const char* method_name(Method m) { return row(m).name; }
bool method_needs_histograms(Method m) { return row(m).needs_histograms; }

double histogram_percentile(const Histogram& h, double fraction) {
  const double total = static_cast<double>(h.total());
  if (total == 0 || h.counts.empty()) return h.lo();
  const double target = std::clamp(fraction, 0.0, 1.0) * total;
  double before = 0;
  for (size_t b = 0; b < h.counts.size(); ++b) {
    const double c = static_cast<double>(h.counts[b]);
    if (c > 0 && before + c >= target) {
      // Linear within the bin: the values of a bin are taken as spread evenly across it.
      return h.lo() + (static_cast<double>(b) + (target - before) / c) * h.bin_width();
    }
    before += c;
  }
  return h.hi();
}

double entropy_threshold(const Histogram& abs_hist, int target_levels) {
  const std::vector<uint64_t>& bins = abs_hist.counts;
  const int n = static_cast<int>(bins.size());
  if (n <= target_levels || abs_hist.total() == 0) return abs_hist.hi();
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = n;
  std::vector<double> p, q;
  for (int i = target_levels; i <= n; ++i) {
    // P: the first i bins, with everything beyond folded into the last one.
    p.assign(bins.begin(), bins.begin() + i);
    for (int j = i; j < n; ++j) p[static_cast<size_t>(i - 1)] += static_cast<double>(bins[static_cast<size_t>(j)]);
    // Q: the first i bins *without* the folded tail, merged into target_levels levels, each spread
    // evenly over its non-empty source bins. The tail mass is in P but not in Q: that is what
    // makes clipping cost something.
    q.assign(static_cast<size_t>(i), 0.0);
    const double merge = static_cast<double>(i) / target_levels;
    for (int level = 0; level < target_levels; ++level) {
      const int start = static_cast<int>(std::floor(level * merge));
      const int stop = level == target_levels - 1 ? i : static_cast<int>(std::floor((level + 1) * merge));
      double sum = 0;
      int nonzero = 0;
      for (int j = start; j < stop; ++j) {
        const double b = static_cast<double>(bins[static_cast<size_t>(j)]);
        sum += b;
        nonzero += b > 0 ? 1 : 0;
      }
      if (nonzero == 0) continue;
      for (int j = start; j < stop; ++j)
        if (bins[static_cast<size_t>(j)] > 0) q[static_cast<size_t>(j)] = sum / nonzero;
    }
    double p_total = 0, q_total = 0;
    for (int j = 0; j < i; ++j) p_total += p[static_cast<size_t>(j)], q_total += q[static_cast<size_t>(j)];
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      const double pj = p[static_cast<size_t>(j)] / p_total;
      if (pj <= 0) continue;
      const double qj = q[static_cast<size_t>(j)] / q_total;
      // Where P has mass Q lacks (the folded tail bin left empty), the divergence is infinite.
      kl += qj > 0 ? pj * std::log(pj / qj) : std::numeric_limits<double>::infinity();
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return (static_cast<double>(best_i) + 0.5) * abs_hist.bin_width();
}

double mse_threshold(const TensorStats& stats, int levels) {
  const Histogram& h = stats.abs_hist;
  const int n = static_cast<int>(h.counts.size());
  if (n == 0 || h.total() == 0 || h.hi() <= 0) return h.hi();
  const double width = h.bin_width();
  double best_err = std::numeric_limits<double>::infinity(), best_t = h.hi();
  // Candidates: every bin edge. Expected squared error of a value v (a bin centre) with threshold t:
  //   v inside the range: the rounding error of a uniform quantizer, step^2 / 12
  //   v beyond t:          the clipping error (v - t)^2
  for (int i = 1; i <= n; ++i) {
    const double t = i * width;
    const Range r = clip_to(stats, t);
    const double step = (r.hi - r.lo) / levels;
    double err = 0;
    for (int b = 0; b < n; ++b) {
      const double c = static_cast<double>(h.counts[static_cast<size_t>(b)]);
      if (c == 0) continue;
      const double v = (b + 0.5) * width;
      err += c * (v > t ? (v - t) * (v - t) : step * step / 12.0);
    }
    if (err < best_err) {
      best_err = err;
      best_t = t;
    }
  }
  return best_t;
}

Range choose_range(const TensorStats& stats, Method method, const MethodOptions& options) {
  if (method == Method::MinMax) return {stats.min, stats.max};
  if (!stats.has_histograms())
    throw Error(ErrorKind::Usage, std::string("method '") + method_name(method) + "' needs histograms: the statistics hold only min/max (calibrate again with a histogram method)");
  switch (method) {
    case Method::Percentile: {
      const double p = options.percentile / 100.0;
      if (!(p > 0.5 && p <= 1.0)) throw Error(ErrorKind::Usage, "--percentile must be in (50, 100]");
      return {std::max(stats.min, histogram_percentile(stats.signed_hist, 1.0 - p)),
              std::min(stats.max, histogram_percentile(stats.signed_hist, p))};
    }
    case Method::Entropy: return clip_to(stats, entropy_threshold(stats.abs_hist));
    case Method::Mse: return clip_to(stats, mse_threshold(stats, options.levels));
    default: return {stats.min, stats.max};
  }
}

}  // namespace quant::calib
