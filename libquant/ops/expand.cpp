// Expand: X broadcast with the shape input (numpy rules in both directions: a dim of 1 in the
// shape keeps X's dim). Tile: X repeated repeats[d] times along each axis d:
//   out[i0, ..., in] = X[i0 % d0, ..., in % dn].
#include <cstring>

#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs expand_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  const Shape shape = int_list(&required_input(inputs, 1, "shape"));
  return {broadcast_to(x, broadcast_shapes(x.shape(), shape))};
}

Outputs tile_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "input").to_plain();
  const std::vector<int64_t> repeats = int_list(&required_input(inputs, 1, "repeats"));
  if (static_cast<int64_t>(repeats.size()) != x.rank())
    throw Error(ErrorKind::Data, "repeats has " + std::to_string(repeats.size()) + " values for input " + x.describe());
  Shape out_shape = x.shape();
  for (size_t d = 0; d < out_shape.size(); ++d) {
    if (repeats[d] < 0) throw Error(ErrorKind::Data, "negative repeat");
    out_shape[d] *= repeats[d];
  }
  Tensor out(x.dtype(), out_shape, Init::Uninitialized);
  const size_t size = static_cast<size_t>(dtype_info(x.dtype()).size);
  const std::vector<int64_t> in_strides = shape_strides(x.shape());
  std::vector<int64_t> index(out_shape.size(), 0);
  for (int64_t o = 0; o < out.numel(); ++o) {
    int64_t src = 0;
    for (size_t d = 0; d < index.size(); ++d) src += (index[d] % x.shape()[d]) * in_strides[d];
    std::memcpy(out.raw() + o * size, x.raw() + src * size, size);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
  return {out};
}

}  // namespace quant::ops
