#include "calib/sample_groups.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

namespace quant::calib {

std::optional<interp::TensorMap> stack_samples(const std::vector<interp::TensorMap>& samples, int64_t rows) {
  if (samples.empty() || rows < static_cast<int64_t>(samples.size())) throw Error(ErrorKind::Internal, "stack_samples: no samples, or more than rows");
  interp::TensorMap stacked;
  for (const auto& [name, first] : samples.front()) {
    // A sample stacks when it has a batch axis of 1 (calibrator.h adds it) and every sample's shape is the first's.
    if (first.rank() == 0 || first.dim(0) != 1 || first.dtype() == DType::String) return std::nullopt;
    for (const interp::TensorMap& s : samples) {
      const auto it = s.find(name);
      if (it == s.end() || it->second.shape() != first.shape() || it->second.dtype() != first.dtype()) return std::nullopt;
    }
    Shape shape = first.shape();
    shape[0] = rows;
    Tensor out(first.dtype(), shape, Init::Uninitialized);
    const size_t row_bytes = first.nbytes();
    for (int64_t r = 0; r < rows; ++r) {
      const Tensor& row = samples[static_cast<size_t>(std::min<int64_t>(r, static_cast<int64_t>(samples.size()) - 1))].at(name);
      std::memcpy(out.raw() + static_cast<size_t>(r) * row_bytes, row.to_plain().raw(), row_bytes);
    }
    stacked[name] = out;
  }
  return stacked;
}

namespace {

// Every tensor a run shows the observer, in the layout it was made in (kept, not copied: kernels
// make fresh outputs; rows_problem compares them in plain order, only when they are small).
interp::TensorMap run_and_record(const interp::Interpreter& interpreter, const interp::TensorMap& inputs) {
  interp::TensorMap seen = inputs;
  interpreter.run(inputs, [&](const ir::Node&, const std::string& name, const Tensor& value) { seen[name] = value; });
  return seen;
}

double max_magnitude(const Tensor& t) {
  double m = 0;
  for (const float v : t.values<float>()) m = std::max(m, static_cast<double>(std::abs(v)));
  return m;
}

// Why `stacked` (two samples' rows) is not `a` and `b` one after the other; empty when it is. Only
// float tensors are compared: they are what calibration observes (an int64 shape computed from the
// input is [4] either way, and need not follow the batch).
std::string rows_problem(const std::string& name, const Tensor& a_any_layout, const Tensor& b_any_layout, const Tensor& stacked_any_layout) {
  if (a_any_layout.dtype() != DType::Float32) return "";
  const Tensor a = a_any_layout.to_plain(), b = b_any_layout.to_plain(), stacked = stacked_any_layout.to_plain();
  Shape expected = a.shape();
  if (!expected.empty()) expected[0] *= 2;
  if (a.rank() == 0 || a.shape() != b.shape() || stacked.shape() != expected || stacked.dtype() != a.dtype())
    return "tensor '" + name + "' is " + shape_to_string(stacked.shape()) + " for two stacked samples and " + shape_to_string(a.shape()) +
           " for one (its axis 0 does not follow the batch)";
  const double tolerance = 1e-4 * std::max({max_magnitude(a), max_magnitude(b), 1e-30});
  const float* s = stacked.data<float>();
  const int64_t n = a.numel();
  for (const auto& [sample, offset] : {std::pair{&a, int64_t{0}}, std::pair{&b, n}}) {
    const float* v = sample->data<float>();
    for (int64_t i = 0; i < n; ++i)
      if (!(std::abs(static_cast<double>(s[offset + i]) - v[i]) <= tolerance) && !(std::isnan(s[offset + i]) && std::isnan(v[i])))
        return "tensor '" + name + "' of two stacked samples differs from the samples run alone (" + std::to_string(s[offset + i]) + " vs " +
               std::to_string(v[i]) + ")";
  }
  return "";
}

}  // namespace

std::string stacking_problem(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, int64_t dataset) {
  for (const CalibrationInput& in : inputs)
    if (!in.add_batch_axis) return "input '" + in.name + "' has a fixed first axis above 1 (a sample is the whole input)";
  // A sample that cannot be read or run alone is reported by the calibration itself, with its place.
  std::vector<interp::TensorMap> samples;
  interp::TensorMap a, b, both;
  try {
    samples = {sample_inputs(inputs, 0)};
    a = run_and_record(interpreter, samples[0]);
  } catch (const Error& e) {
    return "the first samples do not run alone: " + e.message();
  }
  // Stacking saves per-run overhead, which matters for small samples; a sample whose tensors are
  // large already keeps the kernels busy, and 16 of them stacked no longer fit the caches (a
  // 224x224 MobileNetV2 calibrates 2x slower stacked).
  const auto largest = std::max_element(a.begin(), a.end(), [](const auto& x, const auto& y) {
    return (x.second.dtype() == DType::Float32 ? x.second.nbytes() : 0) < (y.second.dtype() == DType::Float32 ? y.second.nbytes() : 0);
  });
  if (largest != a.end() && largest->second.dtype() == DType::Float32 && largest->second.nbytes() > kStackableBytes)
    return "a sample's largest tensor, '" + largest->first + "', is " + std::to_string(largest->second.nbytes() / 1024) + " KiB (stacking pays below " +
           std::to_string(kStackableBytes / 1024) + " KiB per tensor and sample)";
  // The second sample runs only now: a model whose tensors are too large to stack is told after
  // one run (a 224x224 ResNet-18's single run is 3% of a 64-sample calibration).
  try {
    samples.push_back(sample_inputs(inputs, std::min<int64_t>(1, dataset - 1)));
    b = run_and_record(interpreter, samples[1]);
  } catch (const Error& e) {
    return "the first samples do not run alone: " + e.message();
  }
  const std::optional<interp::TensorMap> stacked = stack_samples(samples, 2);
  if (!stacked) return "the first two samples' inputs cannot be stacked (their shapes differ)";
  try {
    both = run_and_record(interpreter, *stacked);
  } catch (const Error& e) {
    return "two stacked samples do not run: " + e.message();
  }
  for (const auto& [name, value] : a) {
    const auto in_b = b.find(name), in_both = both.find(name);
    if (in_b == b.end() || in_both == both.end()) return "tensor '" + name + "' is computed for one sample but not for two stacked";
    if (std::string problem = rows_problem(name, value, in_b->second, in_both->second); !problem.empty()) return problem;
  }
  return "";
}

}  // namespace quant::calib
