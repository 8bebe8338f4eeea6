// NonZero: the int64 indices of the non-zero elements, as [rank, count] in row-major order.
// Compress: the slices of input along `axis` (or of the flattened input) where condition is true;
//   condition may be shorter than the axis (the rest is dropped).
#include <cstring>

#include "ops/kernels.h"

namespace quant::ops {

Outputs nonzero_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  std::vector<int64_t> flat;
  for (int64_t i = 0; i < x.numel(); ++i)
    if (x.value_as_double(i) != 0) flat.push_back(i);
  const int64_t rank = x.rank(), count = static_cast<int64_t>(flat.size());
  Tensor y(DType::Int64, {rank, count}, Init::Uninitialized);
  const std::vector<int64_t> strides = shape_strides(x.shape());
  for (int64_t c = 0; c < count; ++c)
    for (int64_t d = 0; d < rank; ++d) y.data<int64_t>()[d * count + c] = (flat[static_cast<size_t>(c)] / strides[static_cast<size_t>(d)]) % x.dim(d);
  return {y};
}

Outputs compress_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  Tensor x = required_input(inputs, 0, "input").to_plain();
  const Tensor& cond = required_input(inputs, 1, "condition");
  int64_t axis = 0;
  if (node.has_attr("axis")) axis = normalize_axis(node.attr_int("axis"), x.rank());
  else x = x.reshaped({x.numel()});
  int64_t outer = 1, length = x.dim(axis), inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d < axis) outer *= x.dim(d);
    else if (d > axis) inner *= x.dim(d);
  if (cond.numel() > length) throw Error(ErrorKind::Data, "condition is longer than the axis");
  std::vector<int64_t> keep;
  for (int64_t j = 0; j < cond.numel(); ++j)
    if (cond.value_as_double(j) != 0) keep.push_back(j);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(axis)] = static_cast<int64_t>(keep.size());
  Tensor y(x.dtype(), out_shape, Init::Uninitialized);
  const size_t block = static_cast<size_t>(inner) * dtype_size(x.dtype());
  size_t out = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j : keep) {
      std::memcpy(y.raw() + out, x.raw() + static_cast<size_t>(o * length + j) * block, block);
      out += block;
    }
  return {y};
}

}  // namespace quant::ops
