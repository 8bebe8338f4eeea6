#include "calib/histogram_count.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/cpu_features.h"
#include "core/error.h"

namespace quant::calib {
namespace {

// The part of a histogram's bins a call's values can reach: `size` bins from counts[offset]. A
// call counts on that part only (its counters cleared, counted and summed into the histogram), so
// its fixed cost follows the bins its values span, not the whole grid, which spans every value
// seen so far (a transformer's group of samples holds ~10-50k values per tensor and spans a part of
// a grid of up to 2,048 bins; clearing and summing four sets of counters over all of them took about
// half as long as counting the values: 14% of the corpus ViT's histogram calibration against 25%).
struct BinWindow {
  int64_t offset = 0, size = 0;
  static BinWindow whole(const Histogram& h) { return {0, static_cast<int64_t>(h.counts.size())}; }
  // The bins of h that values in [range.lo, range.hi], or their magnitudes, land in.
  static BinWindow of(const Histogram& h, bool absolute, ValueRange range) {
    if (!(std::isfinite(range.lo) && std::isfinite(range.hi) && range.lo <= range.hi)) return whole(h);  // all NaN
    double lo = range.lo, hi = range.hi;
    if (absolute) {
      const double a = std::abs(lo), b = std::abs(hi);
      lo = lo <= 0 && hi >= 0 ? 0.0 : std::min(a, b);
      hi = std::max(a, b);
    }
    const double inv = std::ldexp(1.0, -h.exponent);
    const int64_t first = std::max<int64_t>(grid_index(lo, inv) - h.first, 0);
    const int64_t last = std::min<int64_t>(grid_index(hi, inv) - h.first, static_cast<int64_t>(h.counts.size()) - 1);
    return first <= last ? BinWindow{first, last - first + 1} : whole(h);
  }
};

// Where values land on a histogram: bin(x) = floor(x / 2^e) - first in 0..size-1, and `size` for
// NaN (the grid covers every other value, so NaN is the only one outside it). Two forms of it:
//
// FloatBins, in 32-bit floats where that is exact: the grid's width is at most 1 (so x * 2^-e
// never underflows and is exact) and every index fits in 2^22 (exact as a float). floor is
// trunc, one step down where x < (float)trunc(x) ("negative with a fraction"); NaN fails
// -2^23 < x < 2^23.
struct FloatBins {
  float inv;  // 2^-e
  int32_t first;
  uint32_t size;
  // For the grid of `size` bins of 2^exponent from bin `first`, or a histogram's.
  static bool applies(int exponent, int64_t first, int64_t size) {
    return exponent <= 0 && exponent >= -100 && std::abs(first) < (1 << 22) && std::abs(first + size) < (1 << 22);
  }
  static FloatBins of(int exponent, int64_t first, int64_t size) {
    return {static_cast<float>(std::ldexp(1.0, -exponent)), static_cast<int32_t>(first), static_cast<uint32_t>(size)};
  }
  static bool applies(const Histogram& h, const BinWindow& w) { return applies(h.exponent, h.first + w.offset, w.size); }
  static FloatBins of(const Histogram& h, const BinWindow& w) { return of(h.exponent, h.first + w.offset, w.size); }
  uint32_t operator()(float v) const {
    const float x = v * inv;
    if (!(x > -kFar && x < kFar)) return size;
    const auto k = static_cast<int32_t>(x);
    return static_cast<uint32_t>(k - static_cast<int32_t>(x < static_cast<float>(k)) - first);
  }
  static constexpr float kFar = 1 << 23;
};

// DoubleBins: the same in doubles, for every other grid (v * 2^-e is exact in double for every
// float v and grid exponent).
struct DoubleBins {
  double inv;
  int64_t first;
  uint32_t size;
  static DoubleBins of(const Histogram& h, const BinWindow& w) { return {std::ldexp(1.0, -h.exponent), h.first + w.offset, static_cast<uint32_t>(w.size)}; }
  uint32_t operator()(float v) const { return v != v ? size : static_cast<uint32_t>(grid_index(v, inv) - first); }
};

// The counters of one histogram while a tensor is counted. Neighbouring values tend to fall in the
// same bin (a flat background, a saturated Clip), and one counter incremented again and again
// waits on its own previous store: the values are spread over kLanes sets of 32-bit counters
// (value i to set i % kLanes), summed into the histogram at the end. Each set has one more counter,
// where NaNs land, so the counting loops have no branch. Four sets of at most 2,049 counters fit
// the 32 KB first-level cache. A short tensor uses one set: clearing and summing four would cost
// more than its values.
class CounterSets {
 public:
  static constexpr int kLanes = 4;
  CounterSets(uint32_t size, int64_t values, std::vector<uint32_t>& storage)
      : stride_(size + 1), lane_mask_(values >= 4096 ? kLanes - 1 : 0) {
    storage.assign(static_cast<size_t>(lane_mask_ + 1) * stride_, 0);
    counters_ = storage.data();
  }
  // Counts value i (its position in the tensor picks the set) into `bin`.
  void add(int64_t i, uint32_t bin) { ++counters_[static_cast<uint32_t>(i & lane_mask_) * stride_ + bin]; }
  // Counts `count` bins in a row, the k-th into set k % kLanes.
  void add_run(const uint32_t* bins, int64_t count) {
    // Locals: the members could alias the counters, and would be read again after every increment.
    uint32_t* const set0 = counters_;
    const uint32_t stride = stride_;
    int64_t j = 0;
    if (lane_mask_ != 0) {
      uint32_t* const set1 = set0 + stride;
      uint32_t* const set2 = set1 + stride;
      uint32_t* const set3 = set2 + stride;
      for (; j + kLanes <= count; j += kLanes) {
        ++set0[bins[j]];
        ++set1[bins[j + 1]];
        ++set2[bins[j + 2]];
        ++set3[bins[j + 3]];
      }
    }
    for (; j < count; ++j) ++set0[bins[j]];
  }
  // Set by set, each a contiguous loop the compiler vectorizes (summing the sets bin by bin, a
  // strided inner loop, was a tenth of a ViT's histogram calibration).
  void sum_into(Histogram& h, const BinWindow& w) const { sum_into(h.counts.data() + w.offset); }
  void sum_into(uint64_t* const counts) const {
    const uint32_t bins = stride_ - 1;  // the NaN counter is left out
    for (int64_t l = 0; l <= lane_mask_; ++l) {
      const uint32_t* const set = counters_ + static_cast<uint32_t>(l) * stride_;
      for (uint32_t b = 0; b < bins; ++b) counts[b] += set[b];
    }
  }

 private:
  uint32_t stride_;
  int64_t lane_mask_;
  uint32_t* counters_ = nullptr;
};

template <class Bins>
void count_scalar(const float* v, int64_t begin, int64_t end, bool absolute, const Bins& bins, CounterSets& sets) {
  for (int64_t i = begin; i < end; ++i) sets.add(i, bins(absolute ? std::abs(v[i]) : v[i]));
}

#if defined(__x86_64__)
// Compiled for AVX2 whatever the build's target; only called after avx2_supported() checked the CPU.
#define QUANT_AVX2 __attribute__((target("avx2,popcnt")))

bool avx2_supported() {
  return cpu_has_avx2_popcnt();
}

// kPackFront[m]: the lanes whose bit is set in m, in order, then lane 0 for the rest; permuting a
// vector by it moves the chosen lanes to the front.
constexpr std::array<std::array<int32_t, 8>, 256> pack_front_table() {
  std::array<std::array<int32_t, 8>, 256> table{};
  for (int m = 0; m < 256; ++m)
    for (int lane = 0, k = 0; lane < 8; ++lane)
      if ((m >> lane) & 1) table[static_cast<size_t>(m)][static_cast<size_t>(k++)] = lane;
  return table;
}
constexpr std::array<std::array<int32_t, 8>, 256> kPackFront = pack_front_table();

// FloatBins of eight values at once, the same steps.
QUANT_AVX2 inline __m256i float_bins(const FloatBins& b, __m256 v) {
  const __m256 x = _mm256_mul_ps(v, _mm256_set1_ps(b.inv));
  const __m256 finite = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-FloatBins::kFar), _CMP_GT_OQ),
                                      _mm256_cmp_ps(x, _mm256_set1_ps(FloatBins::kFar), _CMP_LT_OQ));
  __m256i k = _mm256_cvttps_epi32(x);
  k = _mm256_add_epi32(k, _mm256_castps_si256(_mm256_cmp_ps(x, _mm256_cvtepi32_ps(k), _CMP_LT_OQ)));  // -1 where x < k
  k = _mm256_sub_epi32(k, _mm256_set1_epi32(b.first));
  return _mm256_blendv_epi8(_mm256_set1_epi32(static_cast<int32_t>(b.size)), k, _mm256_castps_si256(finite));
}

// Counts values [0, n), n a multiple of 8, into K histograms, except the zeros (+0 and -0): it
// returns how many there were, and the caller adds them to each histogram's bin of 0 at once.
// After a Relu or Clip a third to a half of all values are zero; counted one by one they are also
// the longest chains of increments of one counter. Eight values at a time: their bins, and the
// bins of the nonzero ones moved to the front (a table of permutations indexed by the nonzero
// mask) and stored one after the other into a buffer; each buffer of a chunk is then counted.
//
// With `on_points` (one histogram, of the signed values), it also appends the bin of every negative
// value on a grid point (x = k * 2^e exactly) to it: those are rare, and the only values whose |x|
// bin is not -k - 1 (count_signed_and_abs_once).
template <int K>
QUANT_AVX2 int64_t count_nonzero_avx2(const float* v, int64_t n, const std::array<FloatBins, K>& bins, const std::array<bool, K>& absolute,
                                      const std::array<CounterSets*, K>& sets, std::vector<int32_t>* on_points = nullptr) {
  constexpr int64_t kChunk = 1024;
  alignas(32) uint32_t packed[K][kChunk + 8];  // 8 more: each store writes a whole vector
  __m256 kept_bits[K];  // |x|: all but the sign bit
  for (int t = 0; t < K; ++t) kept_bits[t] = _mm256_castsi256_ps(_mm256_set1_epi32(absolute[t] ? 0x7fffffff : -1));
  int64_t zeros = 0;
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t end = std::min(n, start + kChunk);
    int64_t kept = 0;
    for (int64_t i = start; i < end; i += 8) {
      const __m256 x = _mm256_loadu_ps(v + i);
      const int nonzero = ~_mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ)) & 0xff;  // NaN counts as nonzero
      const __m256i front = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kPackFront[static_cast<size_t>(nonzero)].data()));
      for (int t = 0; t < K; ++t) {
        const __m256i b = float_bins(bins[t], _mm256_and_ps(x, kept_bits[t]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(packed[t] + kept), _mm256_permutevar8x32_epi32(b, front));
        if (on_points) {
          const __m256 scaled = _mm256_mul_ps(x, _mm256_set1_ps(bins[t].inv));
          const __m256 on_point = _mm256_and_ps(_mm256_cmp_ps(scaled, _mm256_round_ps(scaled, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC), _CMP_EQ_OQ),
                                                _mm256_cmp_ps(scaled, _mm256_setzero_ps(), _CMP_LT_OQ));
          if (const int lanes = _mm256_movemask_ps(on_point)) {
            alignas(32) int32_t bin[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(bin), b);
            for (int lane = 0; lane < 8; ++lane)
              if ((lanes >> lane) & 1) on_points->push_back(bin[lane] + bins[t].first);
          }
        }
      }
      kept += _mm_popcnt_u32(static_cast<unsigned>(nonzero));
    }
    zeros += (end - start) - kept;
    for (int t = 0; t < K; ++t) sets[t]->add_run(packed[t], kept);
  }
  return zeros;
}

// The vector loop over the targets whose grids count in floats (one or two of them), the tail
// of fewer than 8 values one by one.
void count_float_targets_avx2(const float* v, int64_t n, std::span<const CountTarget> targets, std::span<const BinWindow> windows,
                              std::span<CounterSets* const> sets) {
  const int64_t whole = n - n % 8;
  int64_t zeros = 0;
  if (targets.size() == 1) {
    zeros = count_nonzero_avx2<1>(v, whole, {FloatBins::of(*targets[0].histogram, windows[0])}, {targets[0].absolute}, {sets[0]});
  } else {
    zeros = count_nonzero_avx2<2>(v, whole, {FloatBins::of(*targets[0].histogram, windows[0]), FloatBins::of(*targets[1].histogram, windows[1])},
                                  {targets[0].absolute, targets[1].absolute}, {sets[0], sets[1]});
  }
  for (size_t t = 0; t < targets.size(); ++t) {
    const FloatBins bins = FloatBins::of(*targets[t].histogram, windows[t]);
    count_scalar(v, whole, n, targets[t].absolute, bins, *sets[t]);
    // A zero's bin, on the signed grid and the |x| one alike (only when there were zeros: else the
    // window need not cover 0).
    if (zeros > 0) targets[t].histogram->counts[static_cast<size_t>(windows[t].offset + bins(0.0f))] += static_cast<uint64_t>(zeros);
  }
}
// Adds count fine bins, src[j * step] for j in [0, count), bin m0 + j of a grid 2^shift times finer
// than h's, into h: bin (m0 + j) >> shift (h's grid covers them). The shifts met (0 and 1) add
// straight along and in pairs: one add after another into the same bin waits on the one before.
// The step (1, or -1 for the negative bins read backwards) is a template argument so that the
// straight loop compiles to vector adds.
template <ptrdiff_t step>
void add_coarsened(const uint64_t* src, int64_t count, int64_t m0, int shift, Histogram& h) {
  uint64_t* const dst = h.counts.data();
  const int64_t first = h.first;
  int64_t j = 0;
  if (shift == 0) {
    uint64_t* const out = dst + (m0 - first);
    for (; j < count; ++j) out[j] += src[j * step];
  } else if (shift == 1) {
    if ((m0 & 1) != 0 && count > 0) dst[(m0 >> 1) - first] += src[0], j = 1;
    uint64_t* out = dst + (((m0 + j) >> 1) - first);
    for (; j + 1 < count; j += 2) *out++ += src[j * step] + src[(j + 1) * step];
  }
  for (; j < count; ++j) dst[((m0 + j) >> shift) - first] += src[j * step];
}

// The signed and |x| histograms of one tensor from one count of the signed values on the finer of
// their two grids (2^f, f = min(e_signed, e_abs)): half the increments of counting both. With k the
// fine bin of x (floor(x / 2^f)):
//   signed bin = floor(k / 2^(e_signed - f))   (a coarser grid's bin is a union of finer ones);
//   |x| bin    = floor(m / 2^(e_abs - f)), m = k for x >= 0, and for x < 0: m = -k - 1, but -k when x
//                is on the grid point k * 2^f (|x| is then the left edge of fine bin -k).
// So the count keeps, besides the fine bins, the fine bins of the negative values on grid points.
// False (nothing counted) when the fine grid would not count in floats or exceed 4,096 bins (the
// counters of its four sets then no longer fit where the two histograms' did).
bool count_signed_and_abs_once(const float* v, int64_t n, ValueRange range, Histogram& signed_h, Histogram& abs_h) {
  const int f = std::min(signed_h.exponent, abs_h.exponent);
  const int signed_shift = signed_h.exponent - f, abs_shift = abs_h.exponent - f;
  if (signed_shift > 1) return false;
  // The fine bins of the signed window (BinWindow), which covers [range.lo, range.hi].
  const BinWindow window = BinWindow::of(signed_h, false, range);
  const int64_t fine_first = (signed_h.first + window.offset) * (int64_t{1} << signed_shift);
  const int64_t fine_size = window.size << signed_shift;
  if (fine_size > 4096 || !FloatBins::applies(f, fine_first, fine_size)) return false;
  const FloatBins fine = FloatBins::of(f, fine_first, fine_size);

  thread_local std::vector<uint32_t> storage;
  thread_local std::vector<uint64_t> fine_counts;
  thread_local std::vector<int32_t> on_points;
  on_points.clear();
  CounterSets sets(fine.size, n, storage);
  const int64_t whole = n - n % 8;
  const int64_t zeros = count_nonzero_avx2<1>(v, whole, {fine}, {false}, {&sets}, &on_points);
  count_scalar(v, whole, n, false, fine, sets);
  for (int64_t i = whole; i < n; ++i) {
    const float x = v[i] * fine.inv;
    if (x < 0 && x == std::trunc(x)) on_points.push_back(static_cast<int32_t>(fine(v[i])) + fine.first);
  }
  fine_counts.assign(static_cast<size_t>(fine_size), 0);
  sets.sum_into(fine_counts.data());
  if (zeros > 0) fine_counts[fine(0.0f)] += static_cast<uint64_t>(zeros);

  // Onto the signed grid: fine bin first_f + i is in signed bin first_s + (i >> shift) (first_f =
  // first_s << shift). Onto the |x| grid: bins m >= 0 from k = m, the negative ones from k = -m - 1,
  // for the m the |x| grid holds (up to abs_last, its last bin in fine units): the fine grid, the
  // signed grid split in two, can reach past |min| and max with bins that are necessarily empty.
  const uint64_t* const counts = fine_counts.data();
  add_coarsened<1>(counts, fine_size, fine.first, signed_shift, signed_h);
  const int64_t last = fine.first + fine_size - 1;
  const int64_t abs_last = (abs_h.first + static_cast<int64_t>(abs_h.counts.size())) * (int64_t{1} << abs_shift) - 1;
  const int64_t m0 = std::max<int64_t>(fine.first, 0), m1 = std::min(last, abs_last);  // k = m >= 0
  if (m0 <= m1) add_coarsened<1>(counts + (m0 - fine.first), m1 - m0 + 1, m0, abs_shift, abs_h);
  const int64_t k0 = std::min<int64_t>(last, -1), k1 = std::max<int64_t>(fine.first, -abs_last - 1);  // k < 0, m = -k - 1 from -k0 - 1 up
  if (k1 <= k0) add_coarsened<-1>(counts + (k0 - fine.first), k0 - k1 + 1, -k0 - 1, abs_shift, abs_h);
  uint64_t* const abs_counts = abs_h.counts.data();
  for (const int64_t k : on_points) {
    --abs_counts[((-k - 1) >> abs_shift) - abs_h.first];
    ++abs_counts[((-k) >> abs_shift) - abs_h.first];
  }
  return true;
}
#else
bool avx2_supported() { return false; }
bool count_signed_and_abs_once(const float*, int64_t, ValueRange, Histogram&, Histogram&) { return false; }
void count_float_targets_avx2(const float*, int64_t, std::span<const CountTarget>, std::span<const BinWindow>, std::span<CounterSets* const>) {
  throw Error(ErrorKind::Internal, "the AVX2 histogram count is built for x86-64 only");
}
#endif

}  // namespace

void count_values(std::span<const float> values, std::span<const CountTarget> targets, ValueRange range, CountPath path) {
  const auto n = static_cast<int64_t>(values.size());
  if (n == 0 || targets.empty()) return;
  if (targets.size() > 2) throw Error(ErrorKind::Internal, "histogram count: at most two histograms per pass");
  if (n >= (int64_t{1} << 32)) throw Error(ErrorKind::Internal, "histogram counters: 2^32 or more values in one tensor");
  const bool fastest = path == CountPath::Fastest && avx2_supported();
  if (fastest && targets.size() == 2 && !targets[0].absolute && targets[1].absolute &&
      count_signed_and_abs_once(values.data(), n, range, *targets[0].histogram, *targets[1].histogram))
    return;
  // The scalar path, the definition, counts on the whole grids.
  std::array<BinWindow, 2> windows{};
  for (size_t t = 0; t < targets.size(); ++t)
    windows[t] = fastest ? BinWindow::of(*targets[t].histogram, targets[t].absolute, range) : BinWindow::whole(*targets[t].histogram);
  thread_local std::array<std::vector<uint32_t>, 2> storage;
  std::array<CounterSets, 2> sets = {CounterSets(static_cast<uint32_t>(windows[0].size), n, storage[0]),
                                     CounterSets(targets.size() > 1 ? static_cast<uint32_t>(windows[1].size) : 0, n, storage[1])};
  // The targets the vector loop takes (grids that count in floats), and the rest.
  std::array<CountTarget, 2> vector_targets{}, other_targets{};
  std::array<BinWindow, 2> vector_windows{}, other_windows{};
  std::array<CounterSets*, 2> vector_sets{}, other_sets{};
  size_t vector_count = 0, other_count = 0;
  for (size_t t = 0; t < targets.size(); ++t) {
    if (fastest && FloatBins::applies(*targets[t].histogram, windows[t])) {
      vector_targets[vector_count] = targets[t], vector_windows[vector_count] = windows[t], vector_sets[vector_count++] = &sets[t];
    } else {
      other_targets[other_count] = targets[t], other_windows[other_count] = windows[t], other_sets[other_count++] = &sets[t];
    }
  }
  if (vector_count > 0)
    count_float_targets_avx2(values.data(), n, std::span(vector_targets).first(vector_count), std::span(vector_windows).first(vector_count),
                             std::span(vector_sets).first(vector_count));
  for (size_t t = 0; t < other_count; ++t) {
    const Histogram& h = *other_targets[t].histogram;
    const BinWindow& w = other_windows[t];
    if (FloatBins::applies(h, w))
      count_scalar(values.data(), 0, n, other_targets[t].absolute, FloatBins::of(h, w), *other_sets[t]);
    else
      count_scalar(values.data(), 0, n, other_targets[t].absolute, DoubleBins::of(h, w), *other_sets[t]);
  }
  for (size_t t = 0; t < targets.size(); ++t) sets[t].sum_into(*targets[t].histogram, windows[t]);
}

}  // namespace quant::calib
