#include "calib/calibrator.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <span>

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

namespace {

// Folds one thread's statistics into the total: min/max and integer counts, so the result is the
// same whichever thread saw which sample.
void merge_minmax(Statistics& total, const Statistics& part) {
  for (const auto& [name, p] : part.tensors) {
    if (p.count == 0) continue;
    TensorStats& t = total.tensors[name];
    t.min = t.count == 0 ? p.min : std::min(t.min, p.min);
    t.max = t.count == 0 ? p.max : std::max(t.max, p.max);
    t.count += p.count;
  }
}

}  // namespace

// A NaN or Inf in calibration data would become an infinite or undefined range (qp_scale = inf):
// refused, naming the input and the element.
void require_finite(const Tensor& t, const std::string& input) {
  if (t.dtype() != DType::Float32) return;
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

Statistics calibrate(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, const CalibrateOptions& options) {
  if (options.batch_size < 1) throw Error(ErrorKind::Usage, "--batch-size must be at least 1");
  const int64_t total = calibration_sample_count(inputs, options.max_samples);
  Statistics stats;
  stats.samples = static_cast<uint64_t>(total);
  const int passes = options.histograms ? 2 : 1;

  // Every sample runs through the interpreter on its own (a batch of one), samples spread over the
  // cores: the float results, and so the statistics, are bit-identical for any --batch-size and
  // thread count (a batched GEMM would sum in a batch-dependent order). --batch-size is how many
  // samples are in flight at once.
  auto run_pass = [&](int pass, auto&& fold_into) {
    if (options.progress) options.progress(pass, passes, 0, total);  // starts the pass's clock
    for (int64_t first = 0; first < total; first += options.batch_size) {
      const int64_t count = std::min(options.batch_size, total - first);
      std::vector<Statistics> per_thread(static_cast<size_t>(std::max(1, omp_get_max_threads())));
      std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic)
      for (int64_t i = first; i < first + count; ++i) {
        if (failure) continue;
        Statistics& local = per_thread[static_cast<size_t>(omp_get_thread_num())];
        try {
          const interp::TensorMap sample = sample_inputs(inputs, i);
          for (const auto& [name, tensor] : sample) fold_into(local, name, tensor);
          interpreter.run(sample, [&](const ir::Node&, const std::string& name, const Tensor& value) { fold_into(local, name, value); });
        } catch (const Error& e) {
          const Error located = e.kind() == ErrorKind::Data && e.context().node.empty()
                                    ? Error(ErrorKind::Data, "calibration sample " + inputs.front().source->where(i) + ": " + e.message())
                                    : e;
#pragma omp critical
          if (!failure) failure = std::make_exception_ptr(located);
        } catch (...) {
#pragma omp critical
          if (!failure) failure = std::current_exception();
        }
      }
      if (failure) std::rethrow_exception(failure);
      for (const Statistics& part : per_thread) {
        if (pass == 1) merge_minmax(stats, part);
        else
          for (const auto& [name, p] : part.tensors) merge_into(stats.tensors.at(name), p);
      }
      if (options.progress) options.progress(pass, passes, first + count, total);
    }
  };

  run_pass(1, [](Statistics& local, const std::string& name, const Tensor& t) {
    if (t.dtype() == DType::Float32) observe_minmax(local.tensors[name], t);
  });
  if (options.histograms) {
    for (auto& [name, s] : stats.tensors) init_histograms(s);
    // Each thread's histograms start empty over the ranges pass 1 found.
    run_pass(2, [&](Statistics& local, const std::string& name, const Tensor& t) {
      auto total_it = stats.tensors.find(name);
      if (total_it == stats.tensors.end()) return;
      auto [it, fresh] = local.tensors.try_emplace(name, total_it->second);
      if (fresh) {
        std::fill(it->second.signed_hist.counts.begin(), it->second.signed_hist.counts.end(), 0);
        std::fill(it->second.abs_hist.counts.begin(), it->second.abs_hist.counts.end(), 0);
      }
      observe_histograms(it->second, t);
    });
  }
  for (const CalibrationInput& in : inputs)
    for (const std::string& a : in.source->adjustments()) stats.data_adjustments.push_back("input '" + in.name + "': " + a);
  return stats;
}

}  // namespace quant::calib
