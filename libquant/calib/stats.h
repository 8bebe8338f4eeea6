// Per-tensor calibration statistics: min, max, count and two histograms (signed values and |x|).
// Memory per tensor is fixed (at most 2 x 2048 bins), whatever the number of samples, and one pass
// over the data fills everything.
//
// The histograms live on power-of-two grids (docs/calibration.md, "Histogram grid"): bin k covers
// [k * w, (k + 1) * w) with w = 2^e, and e is the smallest exponent whose bins from floor(min / w)
// to floor(max / w) number at most kHistogramBins (never below 2^-40 of the largest magnitude, so
// bin indices stay below 2^40). The grid depends only on the [min, max] seen so far, and a coarser
// grid's bin is the union of 2^j bins of a finer one, so when the range grows the counts move to
// the wider grid exactly. Hence statistics built from any split of the data (threads, batches,
// shards on other machines) and merged are bit-identical to one pass over all of it.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace quant::calib {

constexpr int kHistogramBins = 2048;  // at most; a range spans 1025 to 2048 of them unless it is tiny next to its magnitude

struct Histogram {
  int exponent = 0;               // bin width 2^exponent
  int64_t first = 0;              // grid index of counts[0]: it covers [first * w, (first + 1) * w)
  std::vector<uint64_t> counts;   // empty: no histogram
  double bin_width() const { return std::ldexp(1.0, exponent); }
  double lo() const { return static_cast<double>(first) * bin_width(); }
  double hi() const { return static_cast<double>(first + static_cast<int64_t>(counts.size())) * bin_width(); }
  uint64_t total() const;
};

struct TensorStats {
  double min = 0, max = 0;
  uint64_t count = 0;      // values seen (NaNs included; they are in neither min/max nor the histograms)
  Histogram signed_hist;   // of x, on the grid of [min, max]
  Histogram abs_hist;      // of |x|, on the grid of [0, max|x|]
  bool has_histograms() const { return !signed_hist.counts.empty(); }
};

// Calibration takes a dataset's samples in groups of kSampleGroup consecutive ones (the last may
// be shorter): samples [16g, 16g + 16) form group g. A group is the unit the interpreter runs
// (stacked along the batch axis, sample_groups.h) and the unit shards split, so every run, sharded
// or not, computes each sample in the same company and gets bit-identical values.
constexpr int64_t kSampleGroup = 16;

// Which samples a calibration run took: every `count`-th group of kSampleGroup samples, starting
// at group `index` (0-based).
struct Shard {
  int64_t index = 0, count = 1;
  bool operator==(const Shard&) const = default;
  bool valid() const { return count >= 1 && index >= 0 && index < count; }
  std::string name() const { return std::to_string(index) + "/" + std::to_string(count); }  // "I/N"
  // The dataset samples [begin, end) of this shard's k-th group, for k < groups_of(dataset).
  struct Group {
    int64_t begin = 0, end = 0;
  };
  int64_t groups_of(int64_t dataset) const {
    const int64_t all = (dataset + kSampleGroup - 1) / kSampleGroup;
    return all > index ? (all - index + count - 1) / count : 0;
  }
  Group group(int64_t k, int64_t dataset) const {
    const int64_t begin = (index + k * count) * kSampleGroup;
    return {begin, std::min(begin + kSampleGroup, dataset)};
  }
  // How many of a dataset's samples this shard takes.
  int64_t samples_of(int64_t dataset) const {
    const int64_t groups = groups_of(dataset);
    return groups == 0 ? 0 : (groups - 1) * kSampleGroup + (group(groups - 1, dataset).end - group(groups - 1, dataset).begin);
  }
};

// Statistics of every observed tensor, by tensor name.
struct Statistics {
  std::map<std::string, TensorStats> tensors;
  uint64_t samples = 0;          // samples observed
  Shard shard;                   // of the dataset; {0, 1}: all of it
  uint64_t dataset_samples = 0;  // samples in the dataset the shards split (= samples when not sharded)
  // What the sample sources changed in the data (SampleSource::adjustments), per input.
  std::vector<std::string> data_adjustments;
  // Whether each group of samples ran as one stacked batch (false: sample by sample, for a model
  // whose tensors do not follow a batch axis; calibrator.h). Shards of one split agree on it.
  bool groups_stacked = true;
  // Float tensors deliberately not observed (CalibrateOptions::unobserved): they exist, and no plan
  // quantizes them.
  std::set<std::string> unobserved;
};

// The grid for values in [lo, hi] (the rule above): bin width 2^exponent, bins first..last.
struct Grid {
  int exponent = 0;
  int64_t first = 0, last = 0;
};
Grid grid_for(double lo, double hi);
// The grids a tensor's histograms sit on: the signed one's of [min, max], the |x| one's of
// [0, max(|min|, |max|)].
Grid signed_grid(const TensorStats& stats);
Grid abs_grid(const TensorStats& stats);

// Folds a tensor's values into min/max/count and, with `histograms`, both histograms. A tensor
// holding Inf keeps its infinite min/max and no histograms (the plan refuses to quantize it).
void observe(TensorStats& stats, std::span<const float> values, bool histograms);
inline void observe(TensorStats& stats, const Tensor& values, bool histograms) { observe(stats, values.values<float>(), histograms); }

// Adds b into a (the same tensor, seen on other samples): bit-identical to having observed b's
// values into a. Throws Data when one has histograms and the other not.
void merge_into(TensorStats& a, const TensorStats& b);

}  // namespace quant::calib
