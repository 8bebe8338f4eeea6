// Shape: the input's dims as int64, optionally dims[start:end] (opset 15; clamped like Python slices).
#include <algorithm>
#include "ops/kernels.h"

namespace quant::ops {

Outputs shape_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  auto clamp_index = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp_index(node.attr_int("start", 0));
  const int64_t end = node.has_attr("end") ? clamp_index(node.attr_int("end")) : rank;
  const std::vector<int64_t> dims(x.shape().begin() + start, x.shape().begin() + std::max(start, end));
  return {Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims)};
}

}  // namespace quant::ops
