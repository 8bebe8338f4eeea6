// Cast: element-wise conversion to the type `to` (rules in core/tensor.h, cast_tensor).
#include <algorithm>
#include "ops/kernels.h"

namespace quant::ops {

Outputs cast_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  const DType to = dtype_from_onnx(static_cast<int>(node.attr_int("to")));
  if (to == DType::String || x.dtype() == DType::String)
    throw Error(ErrorKind::Unsupported, "casts to or from string are not supported");
  return {cast_tensor(x, to)};
}

// CastLike: Cast to the element type of input 1.
Outputs cast_like_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  const DType to = required_input(inputs, 1, "target_type").dtype();
  if (to == DType::String || x.dtype() == DType::String) throw Error(ErrorKind::Unsupported, "casts to or from string are not supported");
  return {cast_tensor(x, to)};
}

}  // namespace quant::ops
