#include <algorithm>
#include "ops/kernel.h"

namespace quant::ops {

const Tensor& required_input(const Inputs& inputs, size_t i, const char* what) {
  if (i >= inputs.size() || !inputs[i])
    throw Error(ErrorKind::Model, std::string("missing required input ") + std::to_string(i) + " (" + what + ")");
  return *inputs[i];
}

void require_float(const Tensor& t, const char* what) {
  if (t.dtype() != DType::Float32)
    throw Error(ErrorKind::Unsupported, std::string(what) + " must be float32, got " + t.describe());
}

void require_rank(const Tensor& t, int64_t rank, const char* what) {
  if (t.rank() != rank)
    throw Error(ErrorKind::Data, std::string(what) + " must have rank " + std::to_string(rank) + ", got " + t.describe());
}

}  // namespace quant::ops
