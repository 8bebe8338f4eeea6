// Gather: Y[outer, indices..., inner] = X[outer, indices[...], inner] along `axis`; negative indices
// count from the end.
#include <algorithm>
#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs gather_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const Tensor& idx = required_input(inputs, 1, "indices");
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), x.rank());
  const std::vector<int64_t> indices = idx.to_int64_vector();
  Shape out_shape(x.shape().begin(), x.shape().begin() + axis);
  out_shape.insert(out_shape.end(), idx.shape().begin(), idx.shape().end());
  out_shape.insert(out_shape.end(), x.shape().begin() + axis + 1, x.shape().end());
  Tensor y(x.dtype(), out_shape);
  const AxisView v = axis_view(x.shape(), axis);
  const size_t block = static_cast<size_t>(v.inner) * dtype_size(x.dtype());
  size_t out = 0;
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i : indices) {
      const int64_t j = i < 0 ? i + v.length : i;
      if (j < 0 || j >= v.length)
        throw Error(ErrorKind::Data, "index " + std::to_string(i) + " is out of range for axis of size " + std::to_string(v.length));
      std::memcpy(y.raw() + out, x.raw() + static_cast<size_t>(o * v.length + j) * block, block);
      out += block;
    }
  return {y};
}

}  // namespace quant::ops
