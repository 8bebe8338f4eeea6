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
  const Shard& shard = options.shard;
  if (!shard.valid()) throw Error(ErrorKind::Usage, "--shard I/N needs 0 <= I < N, got " + shard.name());
  const int64_t dataset = calibration_sample_count(inputs, options.max_samples);
  // This shard's samples: every N-th one, starting at I.
  const int64_t total = shard.samples_of(dataset);
  if (total == 0) throw Error(ErrorKind::Usage, "shard " + shard.name() + " holds no samples: the data has only " + std::to_string(dataset));
  Statistics stats;
  stats.samples = static_cast<uint64_t>(total);
  stats.shard = shard;
  stats.dataset_samples = static_cast<uint64_t>(dataset);

  // Every sample runs through the interpreter on its own (a batch of one), samples spread over the
  // cores: the float results are bit-identical for any --batch-size and thread count (a batched
  // GEMM would sum in a batch-dependent order), and the statistics merge exactly (stats.h), so
  // they are too. --batch-size is how many samples are in flight at once.
  if (options.progress) options.progress(1, 1, 0, total);  // starts the clock
  for (int64_t first = 0; first < total; first += options.batch_size) {
    const int64_t count = std::min(options.batch_size, total - first);
    std::vector<Statistics> per_thread(static_cast<size_t>(std::max(1, omp_get_max_threads())));
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic)
    for (int64_t j = first; j < first + count; ++j) {
      if (failure) continue;
      const int64_t i = shard.index + j * shard.count;
      Statistics& local = per_thread[static_cast<size_t>(omp_get_thread_num())];
      auto fold = [&](const std::string& name, const Tensor& t) {
        if (t.dtype() == DType::Float32) observe(local.tensors[name], t, options.histograms);
      };
      try {
        const interp::TensorMap sample = sample_inputs(inputs, i);
        for (const auto& [name, tensor] : sample) fold(name, tensor);
        interpreter.run(sample, [&](const ir::Node&, const std::string& name, const Tensor& value) { fold(name, value); });
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
    for (const Statistics& part : per_thread)
      for (const auto& [name, p] : part.tensors) merge_into(stats.tensors[name], p);
    if (options.progress) options.progress(1, 1, first + count, total);
  }
  for (const CalibrationInput& in : inputs)
    for (const std::string& a : in.source->adjustments()) stats.data_adjustments.push_back("input '" + in.name + "': " + a);
  return stats;
}

}  // namespace quant::calib
