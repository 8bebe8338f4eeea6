#include "calib/stats.h"

#include <algorithm>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <limits>

#include "calib/histogram_count.h"
#include "core/cpu_features.h"
#include "core/error.h"

namespace quant::calib {

uint64_t Histogram::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts) t += c;
  return t;
}

namespace {

constexpr int kIndexBits = 40;           // bin indices stay below 2^40: exact in double and int64
constexpr int kZeroExponent = -149 - kIndexBits - 1;  // the grid of an all-zero range: finer than any float's floor

// The exponent below which a grid would index past 2^kIndexBits for values up to `magnitude`.
int magnitude_floor(double magnitude) {
  if (magnitude == 0) return kZeroExponent;
  int e = 0;
  std::frexp(magnitude, &e);  // magnitude < 2^e
  return e - kIndexBits;
}

int64_t bins_needed(double lo, double hi, int exponent) {
  const double inv = std::ldexp(1.0, -exponent);
  return grid_index(hi, inv) - grid_index(lo, inv) + 1;
}

// Index k of a grid of exponent e, on the grid of exponent e + shift: floor(k / 2^shift).
inline int64_t coarsen(int64_t k, int shift) { return shift >= 63 ? (k < 0 ? -1 : 0) : k >> shift; }

// Moves h's counts onto the grid of exponent e covering [lo, hi] (h's grid is no coarser and its
// bins lie inside): each bin lands whole in the coarser bin that contains it.
void regrid(Histogram& h, const Grid& g) {
  if (!h.counts.empty() && h.exponent == g.exponent && h.first == g.first && h.first + static_cast<int64_t>(h.counts.size()) - 1 == g.last) return;
  std::vector<uint64_t> counts(static_cast<size_t>(g.last - g.first + 1), 0);
  const int shift = g.exponent - h.exponent;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    const int64_t k = coarsen(h.first + static_cast<int64_t>(i), shift) - g.first;
    if (k < 0 || k >= static_cast<int64_t>(counts.size())) throw Error(ErrorKind::Internal, "histogram regrid out of range");
    counts[static_cast<size_t>(k)] += h.counts[i];
  }
  h = {g.exponent, g.first, std::move(counts)};
}

// Both histograms onto the grids of the current [min, max].
void regrid_for_range(TensorStats& s) {
  regrid(s.signed_hist, signed_grid(s));
  regrid(s.abs_hist, abs_grid(s));
}

bool finite_range(const TensorStats& s) { return std::isfinite(s.min) && std::isfinite(s.max); }

// min and max of n floats, NaNs skipped: eight lanes at a time with AVX2 where the CPU has it
// (compiled for it whatever the build's target), then, and on other CPUs, one at a time.
// max_ps(x, hi) returns hi when x is NaN, as x > hi ? x : hi does (GCC does not vectorize the
// scalar form without -ffinite-math-only, which would also remove this file's NaN checks).
#if defined(__x86_64__)
__attribute__((target("avx2"))) int64_t min_max_avx2(const float* v, int64_t n, float& lo, float& hi) {
  __m256 lo_a = _mm256_set1_ps(lo), lo_b = lo_a, hi_a = _mm256_set1_ps(hi), hi_b = hi_a;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(v + i), b = _mm256_loadu_ps(v + i + 8);
    lo_a = _mm256_min_ps(a, lo_a);
    lo_b = _mm256_min_ps(b, lo_b);
    hi_a = _mm256_max_ps(a, hi_a);
    hi_b = _mm256_max_ps(b, hi_b);
  }
  alignas(32) float lanes_lo[8], lanes_hi[8];
  _mm256_store_ps(lanes_lo, _mm256_min_ps(lo_a, lo_b));
  _mm256_store_ps(lanes_hi, _mm256_max_ps(hi_a, hi_b));
  for (int l = 0; l < 8; ++l) lo = std::min(lo, lanes_lo[l]), hi = std::max(hi, lanes_hi[l]);
  return i;  // the values done
}
#endif

void min_max(const float* v, int64_t n, float& lo_out, float& hi_out) {
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
#if defined(__x86_64__)
  if (cpu_has_avx2()) i = min_max_avx2(v, n, lo, hi);
#endif
  for (; i < n; ++i) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  lo_out = lo;
  hi_out = hi;
}

}  // namespace

Grid grid_for(double lo, double hi) {
  int e = magnitude_floor(std::max(std::abs(lo), std::abs(hi)));
  if (hi > lo) {
    // A start below the answer: kHistogramBins bins of 2^(w - 2) cover less than hi - lo.
    int w = 0;
    std::frexp((hi - lo) / kHistogramBins, &w);
    e = std::max(e, w - 2);
  }
  while (bins_needed(lo, hi, e) > kHistogramBins) ++e;
  const double inv = std::ldexp(1.0, -e);
  return {e, grid_index(lo, inv), grid_index(hi, inv)};
}

Grid signed_grid(const TensorStats& stats) { return grid_for(stats.min, stats.max); }
Grid abs_grid(const TensorStats& stats) { return grid_for(0.0, std::max(std::abs(stats.min), std::abs(stats.max))); }

void observe(TensorStats& stats, std::span<const float> values, bool histograms) {
  const float* v = values.data();
  const auto n = static_cast<int64_t>(values.size());
  if (n == 0) return;
  float lo = 0, hi = 0;
  min_max(v, n, lo, hi);
  const bool first = stats.count == 0;
  stats.count += static_cast<uint64_t>(n);
  if (lo <= hi) {  // else all NaN
    stats.min = first ? lo : std::min<double>(stats.min, lo);
    stats.max = first ? hi : std::max<double>(stats.max, hi);
  }
  if (!histograms) return;
  if (!finite_range(stats)) {
    stats.signed_hist = {};
    stats.abs_hist = {};
    return;
  }
  regrid_for_range(stats);
  // Every value so far >= 0 (after a Relu, say) and both grids the same ([min, max] starts in bin
  // 0): |x| = x, so the |x| histogram is the signed one. Else one pass counts both.
  const Histogram& s = stats.signed_hist;
  Histogram& a = stats.abs_hist;
  const bool abs_is_signed = stats.min >= 0 && s.exponent == a.exponent && s.first == a.first && s.counts.size() == a.counts.size();
  const CountTarget both[2] = {{&stats.signed_hist, false}, {&stats.abs_hist, true}};
  count_values(values, std::span(both).first(abs_is_signed ? 1 : 2), {lo, hi});
  if (abs_is_signed) a.counts = s.counts;
}

void merge_into(TensorStats& a, const TensorStats& b) {
  if (b.count == 0) return;
  if (a.count == 0) {
    a = b;
    return;
  }
  const bool a_hist = a.has_histograms() || !finite_range(a), b_hist = b.has_histograms() || !finite_range(b);
  if (a_hist != b_hist) throw Error(ErrorKind::Data, "statistics with histograms cannot be merged with statistics without (calibrate every part the same way)");
  a.count += b.count;
  a.min = std::min(a.min, b.min);
  a.max = std::max(a.max, b.max);
  if (!finite_range(a) || !b.has_histograms()) {
    a.signed_hist = {};
    a.abs_hist = {};
    return;
  }
  regrid_for_range(a);
  TensorStats moved = b;
  moved.min = a.min;
  moved.max = a.max;
  regrid_for_range(moved);
  for (size_t i = 0; i < a.signed_hist.counts.size(); ++i) a.signed_hist.counts[i] += moved.signed_hist.counts[i];
  for (size_t i = 0; i < a.abs_hist.counts.size(); ++i) a.abs_hist.counts[i] += moved.abs_hist.counts[i];
}

}  // namespace quant::calib
