#include "interp/run_batches.h"

#include <cstring>

#include "core/parallel.h"

namespace quant::interp {

std::vector<TensorMap> run_batches(const Interpreter& interpreter, const std::vector<TensorMap>& batches) {
  std::vector<TensorMap> outputs(batches.size());
  auto run = [&](int64_t i) { outputs[static_cast<size_t>(i)] = interpreter.run(batches[static_cast<size_t>(i)]); };
  const auto count = static_cast<int64_t>(batches.size());
  // A single batch runs outside a parallel region, so that its kernels use every thread; several
  // run one per thread, their kernels on that thread.
  if (count == 1) run(0);
  else parallel_for_each(0, count, run);
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
