#include "calib/sample_groups.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>

#include "core/parallel.h"

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
// make fresh outputs; find_sample_run compares them in plain order, only when they are small).
interp::TensorMap run_and_record(const interp::Interpreter& interpreter, const interp::TensorMap& inputs, const std::set<std::string>& unobserved) {
  interp::TensorMap seen = inputs;
  interpreter.run(inputs, [&](const ir::Node&, const std::string& name, const Tensor& value) { seen[name] = value; }, &unobserved);
  return seen;
}

double max_magnitude(const Tensor& t) {
  double m = 0;
  for (const float v : t.values<float>()) m = std::max(m, static_cast<double>(std::abs(v)));
  return m;
}

// The run length with which `stacked`, `rows` samples stacked, holds `a`'s and `b`'s values (of
// the same shape) in turns as its first two samples, or why there is none. Only float tensors are
// checked: they are what calibration observes (an int64 shape computed from the input is [4]
// either way, and need not follow the batch).
struct RunFound {
  int64_t run = 0;
  std::string problem;
};
RunFound find_sample_run(const std::string& name, const Tensor& a_any_layout, const Tensor& b_any_layout, const Tensor& stacked_any_layout,
                         int64_t rows) {
  if (a_any_layout.dtype() != DType::Float32) return {};
  const Tensor a = a_any_layout.to_plain(), b = b_any_layout.to_plain(), stacked = stacked_any_layout.to_plain();
  if (a.rank() == 0 || a.shape() != b.shape() || stacked.dtype() != a.dtype() || stacked.numel() != rows * a.numel())
    return {0, "tensor '" + name + "' is " + shape_to_string(stacked.shape()) + " for " + std::to_string(rows) + " stacked samples and " +
                   shape_to_string(a.shape()) + " for one (no axis follows the batch)"};
  if (a.numel() == 0) return {};  // nothing to observe
  const double tolerance = 1e-4 * std::max({max_magnitude(a), max_magnitude(b), 1e-30});
  const float *s = stacked.data<float>(), *va = a.data<float>(), *vb = b.data<float>();
  // The first value where `stacked`'s first two samples are not a's and b's runs of `run` values
  // (stacked's, then the sample's), if any.
  auto mismatch = [&](int64_t run) -> std::optional<std::pair<float, float>> {
    for (int64_t o = 0; o < a.numel() / run; ++o)
      for (const auto& [v, sample] : {std::pair{va, int64_t{0}}, std::pair{vb, int64_t{1}}})
        for (int64_t i = 0; i < run; ++i) {
          const float x = s[(rows * o + sample) * run + i], y = v[o * run + i];
          if (!(std::abs(static_cast<double>(x) - y) <= tolerance) && !(std::isnan(x) && std::isnan(y))) return std::pair{x, y};
        }
    return std::nullopt;
  };
  // The candidates: a's dimensions from axis k on, outermost first (k = 0: the samples one after
  // the other; k = 1 of [seq, 1, dim]: a sequence-first batch axis; k = 1 of [seq, dim], made
  // [seq * 2, dim] by a Reshape merging the sequence with the batch).
  std::pair<float, float> first{};
  for (int64_t k = 0; k < a.rank(); ++k) {
    int64_t run = 1;
    for (int64_t j = k; j < a.rank(); ++j) run *= a.dim(j);
    const std::optional<std::pair<float, float>> differs = mismatch(run);
    if (!differs) return {run, ""};
    if (k == 0) first = *differs;
  }
  return {0, "tensor '" + name + "' of two samples stacked in " + std::to_string(rows) +
                 " rows differs from the samples run alone, whatever axis is taken as the batch (" +
                 std::to_string(first.first) + " vs " + std::to_string(first.second) + " with the samples one after the other)"};
}

}  // namespace

Stacking check_stacking(const interp::Interpreter& interpreter, const std::vector<CalibrationInput>& inputs, int64_t dataset,
                        const std::set<std::string>& unobserved) {
  for (const CalibrationInput& in : inputs)
    if (!in.add_batch_axis) return {"input '" + in.name + "' has a fixed first axis above 1 (a sample is the whole input)"};
  // The runs' kernels run on this thread alone, as each group's do, whatever the thread count: the
  // plans they build (cached per node, input shape and fusion) are the ones the groups reuse, made
  // for one thread in every calibration. Not in a parallel loop: its other threads would spin while
  // this one generates the kernels' code, which then took twice as long (smallcnn, 2 threads). The
  // runs leave out the groups' `unobserved` tensors, so that a Conv runs fused with its Relu here
  // too (unfused, its plan would be built a second time for the groups); only the values the groups
  // observe need follow the batch.
  const OneThread one_thread;
  // A sample that cannot be read or run alone is reported by the calibration itself, with its place.
  std::vector<interp::TensorMap> samples;
  interp::TensorMap a, b;
  try {
    samples = {sample_inputs(inputs, 0)};
    a = run_and_record(interpreter, samples[0], unobserved);
  } catch (const Error& e) {
    return {"the first samples do not run alone: " + e.message()};
  }
  // Stacking saves per-run overhead, which matters for small samples; a sample whose tensors are
  // large already keeps the kernels busy, and 16 of them stacked no longer fit the caches (a
  // 224x224 MobileNetV2 calibrates 2x slower stacked).
  const auto largest = std::max_element(a.begin(), a.end(), [](const auto& x, const auto& y) {
    return (x.second.dtype() == DType::Float32 ? x.second.nbytes() : 0) < (y.second.dtype() == DType::Float32 ? y.second.nbytes() : 0);
  });
  if (largest != a.end() && largest->second.dtype() == DType::Float32 && largest->second.nbytes() > kStackableBytes)
    return {"a sample's largest tensor, '" + largest->first + "', is " + std::to_string(largest->second.nbytes() / 1024) + " KiB (stacking pays below " +
           std::to_string(kStackableBytes / 1024) + " KiB per tensor and sample)"};
  // The second sample runs only now: a model whose tensors are too large to stack is told after
  // one run (a 224x224 ResNet-18's single run is 3% of a 64-sample calibration).
  try {
    samples.push_back(sample_inputs(inputs, std::min<int64_t>(1, dataset - 1)));
    b = run_and_record(interpreter, samples[1], unobserved);
  } catch (const Error& e) {
    return {"the first samples do not run alone: " + e.message()};
  }
  // The two stacked as a group is, padded to kSampleGroup rows. Each of its tensors is compared as
  // it is made, not kept: 16 samples' tensors at once would be 8 times the memory of a and b.
  const std::optional<interp::TensorMap> stacked = stack_samples(samples, kSampleGroup);
  if (!stacked) return {"the first two samples' inputs cannot be stacked (their shapes differ)"};
  Stacking found;
  auto compare = [&](const std::string& name, const Tensor& value) {
    if (!found.problem.empty()) return;
    const auto in_a = a.find(name), in_b = b.find(name);
    if (in_a == a.end() || in_b == b.end()) {
      found.problem = "tensor '" + name + "' is computed for " + std::to_string(kSampleGroup) + " stacked samples but not for one";
      return;
    }
    RunFound run = find_sample_run(name, in_a->second, in_b->second, value, kSampleGroup);
    if (!run.problem.empty()) found.problem = std::move(run.problem);
    else found.sample_run[name] = run.run;
  };
  try {
    for (const auto& [name, value] : *stacked) compare(name, value);
    interpreter.run(*stacked, [&](const ir::Node&, const std::string& name, const Tensor& value) { compare(name, value); }, &unobserved);
  } catch (const Error& e) {
    return {"two stacked samples do not run: " + e.message()};
  }
  if (!found.problem.empty()) return {std::move(found.problem)};
  for (const auto& [name, value] : a)
    if (!found.sample_run.count(name)) return {"tensor '" + name + "' is computed for one sample but not for " + std::to_string(kSampleGroup) + " stacked"};
  found.first_inputs = samples[0];
  return found;
}

std::optional<interp::TensorMap> read_group(const std::vector<CalibrationInput>& inputs, Shard::Group group, const Stacking& stacking) {
  interp::TensorMap batch;
  const int64_t real = group.end - group.begin;
  for (const CalibrationInput& in : inputs) {
    // A non-string tensor with its batch axis of 1: check_stacking set first_inputs only then.
    const Tensor& first = stacking.first_inputs.at(in.name);
    Shape shape = first.shape();
    shape[0] = kSampleGroup;
    Tensor rows(first.dtype(), shape, Init::Uninitialized);
    const size_t row_bytes = first.nbytes();
    if (!in.source->read_samples(group.begin, real, first.dtype(), Shape(shape.begin() + 1, shape.end()), rows.raw())) return std::nullopt;
    for (int64_t r = real; r < kSampleGroup; ++r) std::memcpy(rows.raw() + r * row_bytes, rows.raw() + (real - 1) * row_bytes, row_bytes);
    if (!all_finite(rows)) return std::nullopt;
    batch[in.name] = std::move(rows);
  }
  return batch;
}

std::vector<float> first_samples_values(const Tensor& t, int64_t run, int64_t real) {
  const Tensor plain = t.to_plain();
  if (run <= 0 || plain.numel() % (kSampleGroup * run) != 0 || real < 0 || real > kSampleGroup)
    throw Error(ErrorKind::Internal, "first_samples_values: runs of " + std::to_string(run) + " in " + shape_to_string(plain.shape()));
  // [outer, kSampleGroup, run]: of each block, the first `real` samples' runs.
  const int64_t block = kSampleGroup * run, kept = real * run;
  const std::span<const float> v = plain.values<float>();
  std::vector<float> out;
  out.reserve(static_cast<size_t>(plain.numel() / block * kept));
  for (int64_t start = 0; start < plain.numel(); start += block) out.insert(out.end(), v.begin() + start, v.begin() + start + kept);
  return out;
}

}  // namespace quant::calib
