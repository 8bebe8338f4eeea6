#include "calib/stats.h"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>

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

// floor(v / 2^e) as the grid index, given inv_width = 2^-e. v * 2^-e is exact in double for every
// float v and grid exponent; truncation then a step down for negative fractions is floor.
inline int64_t grid_index(double v, double inv_width) {
  const double x = v * inv_width;
  const auto k = static_cast<int64_t>(x);
  return k - (x < static_cast<double>(k) ? 1 : 0);
}

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

// Grid indices relative to h.first of up to kChunk values, -1 for NaN, in 32-bit floats where that
// is exact: the grid's width is at most 1 (so v * 2^-e never underflows and is exact) and every
// index fits in 2^23 (exact as a float). x < (float)trunc(x) then says "negative with a fraction",
// and the loop has no branch, so the compiler vectorizes it (this file is compiled with
// -fno-trapping-math, which lets it turn the comparisons into selects). Elsewhere the same in doubles.
constexpr int64_t kChunk = 1024;
template <class Value>
void grid_indices(const Histogram& h, const float* v, int64_t n, Value&& value, int32_t* out) {
  const int64_t last = h.first + static_cast<int64_t>(h.counts.size());
  if (h.exponent <= 0 && h.exponent >= -100 && std::abs(h.first) < (1 << 22) && std::abs(last) < (1 << 22)) {
    const auto inv = static_cast<float>(std::ldexp(1.0, -h.exponent));
    const auto first = static_cast<int32_t>(h.first);
    constexpr float kFar = 1 << 23;
    for (int64_t i = 0; i < n; ++i) {
      float x = value(v[i]) * inv;
      const bool finite = (x > -kFar) & (x < kFar);  // false for NaN only: the grid covers the values
      x = finite ? x : -kFar;                         // NaN lands outside every bin
      const auto k = static_cast<int32_t>(x);
      out[i] = k - static_cast<int32_t>(x < static_cast<float>(k)) - first;
    }
    return;
  }
  const double inv = std::ldexp(1.0, -h.exponent);
  for (int64_t i = 0; i < n; ++i) {
    const double d = value(v[i]);
    out[i] = d != d ? -1 : static_cast<int32_t>(grid_index(d, inv) - h.first);
  }
}

// Adds values to a histogram whose grid covers all of them (NaNs, outside every bin, are skipped).
// Neighbouring values tend to fall in the same bin (a spike at 0 after Relu, a flat background),
// and one counter incremented again and again waits on its own previous store: the values are
// spread over kLanes sets of 32-bit counters (value i to set i % kLanes), summed at the end. Each
// set has one more counter, where NaNs land, so the counting loop has no branch.
template <class Value>
void add_values(Histogram& h, const float* v, int64_t n, Value&& value) {
  const auto size = static_cast<uint32_t>(h.counts.size());
  constexpr int kLanes = 8;
  static_assert(kChunk % kLanes == 0);
  const uint32_t stride = size + 1;
  thread_local std::vector<uint32_t> lanes;
  thread_local std::vector<int32_t> index;
  index.resize(kChunk);
  const bool spread = n >= 4096 && n < (int64_t{1} << 35);  // each 32-bit counter sees at most n / 8 values
  if (spread) lanes.assign(static_cast<size_t>(kLanes) * stride, 0);
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = std::min(kChunk, n - start);
    grid_indices(h, v + start, count, value, index.data());
    if (!spread) {
      for (int64_t i = 0; i < count; ++i)
        if (static_cast<uint32_t>(index[i]) < size) ++h.counts[static_cast<uint32_t>(index[i])];
      continue;
    }
    int64_t i = 0;
    for (; i + kLanes <= count; i += kLanes)
      for (int l = 0; l < kLanes; ++l) ++lanes[l * stride + std::min(static_cast<uint32_t>(index[i + l]), size)];
    for (; i < count; ++i) ++lanes[(i % kLanes) * stride + std::min(static_cast<uint32_t>(index[i]), size)];
  }
  if (!spread) return;
  for (uint32_t b = 0; b < size; ++b) {
    uint64_t sum = 0;
    for (int l = 0; l < kLanes; ++l) sum += lanes[l * stride + b];
    h.counts[b] += sum;
  }
}

// min and max of n floats, NaNs skipped. With SSE (every x86-64) four lanes at a time:
// minps(x, lo) returns lo when x is NaN, as x < lo ? x : lo does. (GCC does not vectorize the
// scalar form without -ffinite-math-only, which would also remove this file's NaN checks.)
void min_max(const float* v, int64_t n, float& lo_out, float& hi_out) {
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
#if defined(__SSE2__)
  __m128 lo_a = _mm_set1_ps(lo), lo_b = lo_a, hi_a = _mm_set1_ps(hi), hi_b = hi_a;
  for (; i + 8 <= n; i += 8) {
    const __m128 a = _mm_loadu_ps(v + i), b = _mm_loadu_ps(v + i + 4);
    lo_a = _mm_min_ps(a, lo_a);
    lo_b = _mm_min_ps(b, lo_b);
    hi_a = _mm_max_ps(a, hi_a);
    hi_b = _mm_max_ps(b, hi_b);
  }
  alignas(16) float lanes_lo[4], lanes_hi[4];
  _mm_store_ps(lanes_lo, _mm_min_ps(lo_a, lo_b));
  _mm_store_ps(lanes_hi, _mm_max_ps(hi_a, hi_b));
  for (int l = 0; l < 4; ++l) lo = std::min(lo, lanes_lo[l]), hi = std::max(hi, lanes_hi[l]);
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
  add_values(stats.signed_hist, v, n, [](float x) { return x; });
  // Every value so far >= 0 (after a Relu, say) and both grids the same ([min, max] starts in bin
  // 0): |x| = x, so the |x| histogram is the signed one.
  const Histogram& s = stats.signed_hist;
  Histogram& a = stats.abs_hist;
  if (stats.min >= 0 && s.exponent == a.exponent && s.first == a.first && s.counts.size() == a.counts.size()) a.counts = s.counts;
  else add_values(a, v, n, [](float x) { return std::abs(x); });
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
