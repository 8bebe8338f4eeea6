#include "calib/calibrator.h"

#include <spdlog/spdlog.h>

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <mutex>
#include <optional>
#include <span>

#include "calib/sample_groups.h"
#include "core/parallel.h"

namespace quant::calib {

int64_t calibration_sample_count(const std::vector<CalibrationInput>& inputs, int64_t max_samples) {
  if (inputs.empty()) throw Error(ErrorKind::Usage, "no calibration data given (--calib)");
  if (max_samples == 0) throw Error(ErrorKind::Usage, "--calib-size must be at least 1");
  int64_t n = inputs.front().source->size();
  for (const CalibrationInput& in : inputs) {
    if (in.source->size() != n && max_samples < 0)
      throw Error(ErrorKind::Data, "calibration inputs have different sample counts (" + inputs.front().name + ": " + std::to_string(n) +
                                       ", " + in.name + ": " + std::to_string(in.source->size()) + ")");
    n = std::min(n, in.source->size());
  }
  if (n == 0) throw Error(ErrorKind::Data, "the calibration data holds no samples");
  return max_samples > 0 ? std::min(n, max_samples) : n;
}

bool all_finite(const Tensor& t) {
  if (t.dtype() != DType::Float32) return true;
  // One branch-free pass in integer operations (GCC vectorizes them; a float comparison it left
  // scalar): a float is NaN or Inf exactly when its exponent bits are all ones.
  uint32_t non_finite = 0;
  for (const float x : t.values<float>()) non_finite |= (std::bit_cast<uint32_t>(x) & 0x7f800000u) == 0x7f800000u;
  return non_finite == 0;
}

// A NaN or Inf in calibration data would become an infinite or undefined range (qp_scale = inf):
// refused, naming the input and the element (looked for only when there is one).
void require_finite(const Tensor& t, const std::string& input) {
  if (all_finite(t)) return;
  const std::span<const float> v = t.values<float>();
  for (size_t k = 0; k < v.size(); ++k)
    if (!std::isfinite(v[k]))
      throw Error(ErrorKind::Data, "input '" + input + "' holds " + (std::isnan(v[k]) ? "NaN" : "Inf") + " at element " + std::to_string(k) + " of " +
                                       std::to_string(v.size()) + " (calibration data must be finite)");
}

interp::TensorMap sample_inputs(const std::vector<CalibrationInput>& inputs, int64_t i) {
  interp::TensorMap sample;
  for (const CalibrationInput& in : inputs) {
    const Tensor t = in.source->sample(i);
    require_finite(t, in.name);
    if (!in.add_batch_axis) {
      sample[in.name] = t;
      continue;
    }
    Shape batched = t.shape();
    batched.insert(batched.begin(), 1);
    sample[in.name] = t.reshaped(batched);
  }
  return sample;
}

std::set<std::string> tensors_observed_on_first_sample(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs,
                                                       const std::set<std::string>& unobserved) {
  const OneThread one_thread;
  const interp::TensorMap sample = sample_inputs(inputs, 0);
  std::set<std::string> seen;
  auto note = [&](const std::string& name, const Tensor& t) {
    if (t.dtype() == DType::Float32 && !unobserved.count(name)) seen.insert(name);
  };
  for (const auto& [name, t] : sample) note(name, t);
  interpreter.run(sample, [&](const ir::Node&, const std::string& name, const Tensor& t) { note(name, t); }, &unobserved);
  return seen;
}

namespace {

// A Data error without a node, said of where it happened (a sample, or a group's samples).
Error located(const Error& e, const std::string& where) {
  return e.kind() == ErrorKind::Data && e.context().node.empty() ? Error(ErrorKind::Data, "calibration " + where + ": " + e.message()) : e;
}

// Folds one group's samples into `stats`: read as one batch of kSampleGroup samples
// (sample_groups.h) when `stacking` found no problem and read_group can, else one by one. Of a
// stacked run only the real samples are observed (they come first along each tensor's batch axis:
// the padding samples after them repeat the last one).
void observe_group(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, Shard::Group group, const Stacking& stacking,
                   const CalibrateOptions& options, Statistics& stats) {
  const dataset::SampleSource& source = *inputs.front().source;
  // Folds a run's tensor: of a stacked run, the group's `real` samples; of a lone sample, all.
  // Errors are said of `where` by run() below. A tensor the stacking check did not see (made on
  // other samples only) is taken as batched along axis 0 (its sixteenth a sample's run).
  auto fold = [&](const std::string& name, const Tensor& t, int64_t real) {
    if (t.dtype() != DType::Float32 || options.unobserved.count(name) || options.copies.count(name)) return;
    if (real == 0) return observe(stats.tensors[name], t, options.histograms);
    const auto found = stacking.sample_run.find(name);
    const bool rows = t.rank() > 0 && t.dim(0) % kSampleGroup == 0;
    const int64_t run = found != stacking.sample_run.end() ? found->second : rows ? t.numel() / kSampleGroup : 0;
    if (t.numel() == 0) return;
    if (run <= 0 || t.numel() % (kSampleGroup * run) != 0)
      throw Error(ErrorKind::Data, "tensor '" + name + "' has " + shape_to_string(t.shape()) + " for a stacked group of " + std::to_string(kSampleGroup) +
                                       " samples: its values do not follow the batch (found on these samples only)");
    if (real == kSampleGroup) return observe(stats.tensors[name], t, options.histograms);
    observe(stats.tensors[name], first_samples_values(t, run, real), options.histograms);
  };
  // Runs one batch (real > 0: a stacked group of that many samples; 0: one sample) and folds it.
  auto run = [&](const interp::TensorMap& batch, int64_t real, const std::string& where) {
    try {
      for (const auto& [name, tensor] : batch) fold(name, tensor, real);
      interpreter.run(batch, [&](const ir::Node&, const std::string& name, const Tensor& value) { fold(name, value, real); }, &options.unobserved);
    } catch (const Error& e) {
      throw located(e, where);
    }
  };
  if (stacking.problem.empty()) {
    const std::string where = "samples " + source.where(group.begin) + " to " + source.where(group.end - 1);
    std::optional<interp::TensorMap> stacked;
    try {
      stacked = read_group(inputs, group, stacking);
    } catch (const Error& e) {
      throw located(e, where);
    }
    if (stacked) return run(*stacked, group.end - group.begin, where);
  }
  for (int64_t i = group.begin; i < group.end; ++i) {
    interp::TensorMap sample;
    try {
      sample = sample_inputs(inputs, i);
    } catch (const Error& e) {
      throw located(e, "sample " + source.where(i));
    }
    run(sample, 0, "sample " + source.where(i));
  }
}

}  // namespace

Statistics calibrate(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, const CalibrateOptions& options) {
  if (options.batch_size < 1) throw Error(ErrorKind::Usage, "--batch-size must be at least 1");
  const Shard& shard = options.shard;
  if (!shard.valid()) throw Error(ErrorKind::Usage, "--shard I/N needs 0 <= I < N, got " + shard.name());
  const int64_t dataset = calibration_sample_count(inputs, options.max_samples);
  // This shard's samples: every N-th group of kSampleGroup, starting at group I.
  const int64_t total = shard.samples_of(dataset);
  if (total == 0)
    throw Error(ErrorKind::Usage, "shard " + shard.name() + " holds no samples: the data has only " + std::to_string(dataset) +
                                      ", and shards split it in groups of " + std::to_string(kSampleGroup) + " samples");
  Statistics stats;
  stats.samples = static_cast<uint64_t>(total);
  stats.shard = shard;
  stats.dataset_samples = static_cast<uint64_t>(dataset);
  stats.unobserved = options.unobserved;
  // Decided on the dataset's first samples, whichever shard this is: every shard decides the same.
  const Stacking stacking = check_stacking(interpreter, inputs, dataset, options.unobserved);
  stats.groups_stacked = stacking.problem.empty();
  if (!stats.groups_stacked) spdlog::info("calibration runs the samples one by one, not stacked in groups of {}: {}", kSampleGroup, stacking.problem);

  // Work items spread over the cores, each run by one thread: the groups when they run stacked,
  // else single samples (so that a small calibration set still keeps every core busy). All items
  // are one parallel loop: a thread takes the next item as soon as it is done with one (steps of
  // --batch-size samples, each ending when its slowest item did, left a thread waiting: ~10% of
  // dwnet's calibration). The statistics merge exactly (stats.h), so neither the thread count nor
  // the order in which items finish changes them.
  const bool stacked = stats.groups_stacked;
  const int64_t items = stacked ? shard.groups_of(dataset) : total;
  auto item = [&](int64_t k) -> Shard::Group {
    if (stacked) return shard.group(k, dataset);
    const int64_t begin = shard.group(k / kSampleGroup, dataset).begin + k % kSampleGroup;
    return {begin, begin + 1};
  };
  // Each thread folds into its own statistics for the whole run; they merge once at the end.
  std::vector<Statistics> per_thread(static_cast<size_t>(std::max(1, omp_get_max_threads())));
  // Progress shows each time at least --batch-size more samples are done, and at the end.
  std::mutex progress_mutex;
  int64_t done = 0, shown = 0;
  if (options.progress) options.progress(1, 1, 0, total);  // starts the clock
  parallel_for_each(0, items, [&](int64_t k) {
    const Shard::Group group = item(k);
    observe_group(interpreter, inputs, group, stacking, options, per_thread[static_cast<size_t>(omp_get_thread_num())]);
    if (!options.progress) return;
    const std::lock_guard<std::mutex> lock(progress_mutex);
    done += group.end - group.begin;
    if (done - shown < options.batch_size && done != total) return;
    shown = done;
    options.progress(1, 1, done, total);
  });
  for (const Statistics& part : per_thread)
    for (const auto& [name, p] : part.tensors) merge_into(stats.tensors[name], p);
  for (const auto& [copy, source] : options.copies)
    if (const auto it = stats.tensors.find(source); it != stats.tensors.end()) stats.tensors[copy] = it->second;
  for (const CalibrationInput& in : inputs)
    for (const std::string& a : in.source->adjustments()) stats.data_adjustments.push_back("input '" + in.name + "': " + a);
  return stats;
}

}  // namespace quant::calib
