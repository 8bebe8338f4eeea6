// Ops that make a tensor from shapes and scalars:
//   ConstantOfShape: a tensor of the shape input filled with `value` (a 1-element tensor; default float 0);
//   Range: start, start + delta, ... while < limit (> limit for negative delta):
//     n = max(ceil((limit - start) / delta), 0) elements;
//   Size: the element count of the input, an int64 scalar;
//   EyeLike: a 2-D tensor of the input's shape with ones on diagonal k, of type `dtype` (default: the input's).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs constant_of_shape_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Shape shape = int_list(&required_input(inputs, 0, "input"));
  for (int64_t d : shape)
    if (d < 0) throw Error(ErrorKind::Data, "negative dimension in " + shape_to_string(shape));
  const Tensor value = node.has_attr("value") ? node.attr("value", ir::AttrKind::Tensor).t : Tensor::scalar<float>(0.0f);
  if (value.numel() != 1) throw Error(ErrorKind::Model, "value must have one element, got " + value.describe());
  Tensor out(value.dtype(), shape, Init::Uninitialized);
  // Filled by doubling: the value, then the filled part copied after itself (log2(n) copies; one
  // copy of a runtime size per element took 40 us for an LSTM's [1, 100, 64] zero state).
  const size_t size = static_cast<size_t>(dtype_info(value.dtype()).size), bytes = out.nbytes();
  if (bytes == 0) return {out};
  std::memcpy(out.raw(), value.raw(), size);
  for (size_t filled = size; filled < bytes; filled *= 2) std::memcpy(out.raw() + filled, out.raw(), std::min(filled, bytes - filled));
  return {out};
}

Outputs range_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor& start = required_input(inputs, 0, "start");
  const Tensor& limit = required_input(inputs, 1, "limit");
  const Tensor& delta = required_input(inputs, 2, "delta");
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1) throw Error(ErrorKind::Data, "start, limit and delta must be scalars");
  return {visit_numeric(start.dtype(), "Range", [&](auto tag) {
    using T = decltype(tag);
    const T s = start.data<T>()[0], l = limit.data<T>()[0], d = delta.data<T>()[0];
    if (d == T(0)) throw Error(ErrorKind::Data, "delta is 0");
    const int64_t n = std::max<int64_t>(static_cast<int64_t>(std::ceil(static_cast<double>(l - s) / static_cast<double>(d))), 0);
    Tensor out(start.dtype(), {n}, Init::Uninitialized);
    for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = static_cast<T>(s + static_cast<T>(i) * d);
    return out;
  })};
}

Outputs size_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  return {Tensor::scalar<int64_t>(required_input(inputs, 0, "data").numel())};
}

Outputs eye_like_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  require_rank(x, 2, "input");
  const DType type = node.has_attr("dtype") ? static_cast<DType>(node.attr_int("dtype")) : x.dtype();
  const int64_t k = node.attr_int("k", 0);
  Tensor ones(DType::Float32, x.shape());
  for (int64_t r = 0; r < x.dim(0); ++r)
    if (r + k >= 0 && r + k < x.dim(1)) ones.data<float>()[r * x.dim(1) + r + k] = 1.0f;
  return {cast_tensor(ones, type)};
}

}  // namespace quant::ops
