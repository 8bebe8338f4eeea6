#include "calib/calibrator.h"

#include <algorithm>

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

Statistics calibrate(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, const CalibrateOptions& options) {
  if (options.batch_size < 1) throw Error(ErrorKind::Usage, "--batch-size must be at least 1");
  const int64_t total = calibration_sample_count(inputs, options.max_samples);
  Statistics stats;
  stats.samples = static_cast<uint64_t>(total);
  const int passes = options.histograms ? 2 : 1;

  auto run_pass = [&](int pass, auto&& fold) {
    for (int64_t first = 0; first < total; first += options.batch_size) {
      const int64_t count = std::min(options.batch_size, total - first);
      interp::TensorMap batch;
      for (const CalibrationInput& in : inputs) {
        try {
          batch[in.name] = dataset::stack_batch(*in.source, first, count);
        } catch (const Error& e) {
          throw e;
        }
      }
      try {
        for (const auto& [name, tensor] : batch) fold(name, tensor);
        interpreter.run(batch, [&](const ir::Node&, const std::string& name, const Tensor& value) { fold(name, value); });
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::Data && e.context().node.empty())
          throw Error(ErrorKind::Data, "calibration samples " + std::to_string(first) + ".." + std::to_string(first + count - 1) + " (" +
                                           inputs.front().source->where(first) + "): " + e.message());
        throw;
      }
      if (options.progress) options.progress(pass, passes, first + count, total);
    }
  };

  run_pass(1, [&](const std::string& name, const Tensor& t) {
    if (t.dtype() == DType::Float32) observe_minmax(stats.tensors[name], t);
  });
  if (options.histograms) {
    for (auto& [name, s] : stats.tensors) init_histograms(s);
    run_pass(2, [&](const std::string& name, const Tensor& t) {
      auto it = stats.tensors.find(name);
      if (it != stats.tensors.end()) observe_histograms(it->second, t);
    });
  }
  return stats;
}

}  // namespace quant::calib
