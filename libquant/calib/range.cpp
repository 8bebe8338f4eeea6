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

// KL(P || Q) for every candidate i (docs/calibration.md) in O(target_levels) per candidate rather
// than O(i): the same sums, regrouped. P's total is the histogram's total N for every i (its tail
// is folded, not dropped); Q's is B_i = b_0 + ... + b_{i-1} (each level spreads its own mass). With
// P_j = b_j below i - 1, P_{i-1} = b_{i-1} + T (T: the mass from bin i on), and Q_j = S_L / Z_L in
// every non-empty bin j of level L (S_L its mass, Z_L its non-empty bins):
//   KL_i = (sum_{P_j>0} P_j ln P_j - sum_{P_j>0} P_j ln Q_j) / N + ln(B_i / N)
//   sum_{P_j>0} P_j ln P_j = sum_{j<i-1} b_j ln b_j (a prefix sum) + P_{i-1} ln P_{i-1}
//   sum_{P_j>0} P_j ln Q_j = sum_L S_L ln(S_L / Z_L) + T ln Q_{i-1}
// and KL_i is infinite when the folded bin i - 1 has mass in P but none in Q (b_{i-1} = 0 < T).
// Masses are exact integers (prefix sums of the counts); the first i of least KL wins, as before.
double entropy_threshold(const Histogram& abs_hist, int target_levels) {
  const std::vector<uint64_t>& bins = abs_hist.counts;
  const int n = static_cast<int>(bins.size());
  if (n <= target_levels || abs_hist.total() == 0) return abs_hist.hi();
  std::vector<uint64_t> mass(static_cast<size_t>(n) + 1, 0), nonempty(static_cast<size_t>(n) + 1, 0);
  std::vector<double> plnp(static_cast<size_t>(n) + 1, 0.0);  // sum of b_j ln b_j below k
  for (size_t j = 0; j < bins.size(); ++j) {
    const uint64_t b = bins[j];
    mass[j + 1] = mass[j] + b;
    nonempty[j + 1] = nonempty[j] + (b > 0 ? 1 : 0);
    plnp[j + 1] = plnp[j] + (b > 0 ? static_cast<double>(b) * std::log(static_cast<double>(b)) : 0.0);
  }
  const double total = static_cast<double>(mass[static_cast<size_t>(n)]);
  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = n;
  for (int i = target_levels; i <= n; ++i) {
    const size_t last = static_cast<size_t>(i - 1);
    const uint64_t tail = mass[static_cast<size_t>(n)] - mass[static_cast<size_t>(i)];
    if (bins[last] == 0 && tail > 0) continue;  // infinite
    const double merge = static_cast<double>(i) / target_levels;
    double plnq = 0, q_last = 0;
    for (int level = 0; level < target_levels; ++level) {
      const auto start = static_cast<size_t>(std::floor(level * merge));
      const auto stop = level == target_levels - 1 ? static_cast<size_t>(i) : static_cast<size_t>(std::floor((level + 1) * merge));
      const uint64_t z = nonempty[stop] - nonempty[start];
      if (z == 0) continue;
      const double s = static_cast<double>(mass[stop] - mass[start]);
      const double q = s / static_cast<double>(z);
      plnq += s * std::log(q);
      if (level == target_levels - 1) q_last = q;
    }
    const double p_last = static_cast<double>(bins[last] + tail);
    const double kl_sum = plnp[last] + (p_last > 0 ? p_last * std::log(p_last) : 0.0) - plnq - (tail > 0 ? static_cast<double>(tail) * std::log(q_last) : 0.0);
    const double kl = kl_sum / total + std::log(static_cast<double>(mass[static_cast<size_t>(i)]) / total);
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return (static_cast<double>(best_i) + 0.5) * abs_hist.bin_width();
}

// The expected squared error of every bin edge t = i * w as threshold, in O(1) per candidate from
// suffix sums (docs/calibration.md). A value v (a bin centre, (b + 0.5) w) beyond t costs its
// clipping error (v - t)^2 = (w/2)^2 (2b + 1 - 2i)^2; one inside costs a uniform quantizer's
// rounding error step^2 / 12 (step: the clipped range's width / levels). With u_b = 2b + 1 and the
// sums over the bins b >= i of c_b u_b^2, c_b u_b and c_b (exact, in 128-bit integers):
//   clipping = (w/2)^2 (sum c u^2 - 4i sum c u + 4i^2 sum c),   rounding = step^2 / 12 * (count below i)
double mse_threshold(const TensorStats& stats, int levels) {
  const Histogram& h = stats.abs_hist;
  const int n = static_cast<int>(h.counts.size());
  if (n == 0 || h.total() == 0 || h.hi() <= 0) return h.hi();
  const double width = h.bin_width();
  using Wide = unsigned __int128;
  Wide cu2 = 0, cu1 = 0, c0 = 0;  // over the bins b >= i, i from n down
  std::vector<double> clipping(static_cast<size_t>(n) + 1, 0.0);
  for (int i = n; i >= 1; --i) {
    if (i < n) {
      const Wide c = h.counts[static_cast<size_t>(i)], u = static_cast<Wide>(2 * i + 1);
      cu2 += c * u * u, cu1 += c * u, c0 += c;
    }
    const Wide four_i = 4 * static_cast<Wide>(i);
    // (2b + 1 - 2i)^2 summed: non-negative term by term, so the unsigned arithmetic cannot wrap
    // below zero once the three sums are combined in this order.
    clipping[static_cast<size_t>(i)] = static_cast<double>(cu2 + four_i * static_cast<Wide>(i) * c0 - four_i * cu1) * (width * width / 4);
  }
  double best_err = std::numeric_limits<double>::infinity(), best_t = h.hi();
  uint64_t inside = 0;  // values in bins below i
  for (int i = 1; i <= n; ++i) {
    inside += h.counts[static_cast<size_t>(i - 1)];
    const double t = i * width;
    const Range r = clip_to(stats, t);
    const double step = (r.hi - r.lo) / levels;
    const double err = clipping[static_cast<size_t>(i)] + static_cast<double>(inside) * (step * step / 12.0);
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
