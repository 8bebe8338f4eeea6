// Trilu: keeps the upper (upper = 1) or lower triangle of each of the last two dims' matrices,
// relative to diagonal k (input 1, default 0), and zeroes the rest:
//   upper: keep x[i][j] where j - i >= k;  lower: keep where j - i <= k.
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {

Outputs trilu_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "input").to_plain();
  if (x.rank() < 2) throw Error(ErrorKind::Data, "input must have rank >= 2, got " + x.describe());
  const Tensor* kt = optional_input(inputs, 1);
  const int64_t k = kt ? kt->value_as_int64(0) : 0;
  const bool upper = node.attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(-2), cols = x.dim(-1), matrices = x.numel() / std::max<int64_t>(rows * cols, 1);
  Tensor y(x.dtype(), x.shape());  // zeros
  const size_t size = dtype_size(x.dtype());
  for (int64_t m = 0; m < matrices; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        if (upper ? j - i >= k : j - i <= k) {
          const int64_t e = (m * rows + i) * cols + j;
          std::memcpy(y.raw() + e * size, x.raw() + e * size, size);
        }
  return {y};
}

}  // namespace quant::ops
