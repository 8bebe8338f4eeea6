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

Tensor float_input(const Inputs& inputs, size_t i, const char* what, int64_t rank) {
  const Tensor& t = required_input(inputs, i, what);
  require_float(t, what);
  require_rank(t, rank, what);
  return t.to_plain();
}

void apply_clamp(Tensor& y, const FusedClamp& clamp) {
  if (!clamp.active) return;
  float* v = y.data<float>();
  const int64_t n = y.numel();
  const float lo = clamp.lo, hi = clamp.hi;
  for (int64_t i = 0; i < n; ++i) v[i] = v[i] < lo ? lo : (v[i] > hi ? hi : v[i]);
}

}  // namespace quant::ops
