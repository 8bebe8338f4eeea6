// OneHot: out has a new axis of size depth at `axis`; out[..., j, ...] = values[1] where
// j == indices[...] (negative indices count from depth), values[0] elsewhere.
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {

Outputs one_hot_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& idx = required_input(inputs, 0, "indices");
  const int64_t depth = static_cast<int64_t>(required_input(inputs, 1, "depth").value_as_double(0));
  const Tensor& values = required_input(inputs, 2, "values");
  if (values.numel() != 2) throw Error(ErrorKind::Data, "values must have 2 elements, got " + values.describe());
  const int64_t rank = idx.rank() + 1;
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), rank);
  Shape out_shape = idx.shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < idx.rank(); ++d) (d < axis ? outer : inner) *= idx.dim(d);
  Tensor y(values.dtype(), out_shape, Init::Uninitialized);
  const size_t size = dtype_size(values.dtype());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < depth; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t hot = static_cast<int64_t>(idx.value_as_double(o * inner + i));
        if (hot < 0) hot += depth;
        std::memcpy(y.raw() + ((o * depth + j) * inner + i) * static_cast<int64_t>(size), values.raw() + (hot == j ? size : 0), size);
      }
  return {y};
}

}  // namespace quant::ops
