#include "interp/run_batches.h"

#include <omp.h>

#include <cstring>
#include <exception>

namespace quant::interp {

std::vector<TensorMap> run_batches(const Interpreter& interpreter, const std::vector<TensorMap>& batches) {
  std::vector<TensorMap> outputs(batches.size());
  if (batches.size() < 2 || omp_get_max_threads() < 2) {
    for (size_t i = 0; i < batches.size(); ++i) outputs[i] = interpreter.run(batches[i]);
    return outputs;
  }
  std::vector<std::exception_ptr> failures(batches.size());
  // One batch per thread; kernels inside this region run on their own thread (no nested teams).
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < batches.size(); ++i) {
    try {
      outputs[i] = interpreter.run(batches[i]);
    } catch (...) {
      failures[i] = std::current_exception();
    }
  }
  for (const std::exception_ptr& f : failures)
    if (f) std::rethrow_exception(f);
  return outputs;
}

TensorMap slice_rows(const TensorMap& inputs, int64_t first, int64_t count) {
  TensorMap out;
  for (const auto& [name, t] : inputs) {
    if (t.rank() == 0 || t.dim(0) == 0 || first < 0 || count < 0 || first + count > t.dim(0) || t.dtype() == DType::String)
      throw Error(ErrorKind::Internal, "slice_rows: rows " + std::to_string(first) + "+" + std::to_string(count) + " of " + t.describe());
    const Tensor plain = t.to_plain();
    Shape shape = plain.shape();
    shape[0] = count;
    Tensor rows(plain.dtype(), shape, Init::Uninitialized);
    const size_t row_bytes = plain.nbytes() / static_cast<size_t>(plain.dim(0));
    std::memcpy(rows.raw(), plain.raw() + static_cast<size_t>(first) * row_bytes, static_cast<size_t>(count) * row_bytes);
    out[name] = rows;
  }
  return out;
}

}  // namespace quant::interp
