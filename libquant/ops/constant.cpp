// Constant: the tensor given by exactly one of value, value_float(s), value_int(s).
#include <algorithm>
#include "ops/kernels.h"

namespace quant::ops {

Outputs constant_kernel(const ir::Node& node, const Inputs&, const KernelConfig&) {
  if (node.has_attr("value")) return {node.attr("value", ir::AttrKind::Tensor).t};
  if (node.has_attr("value_float")) return {Tensor::scalar<float>(node.attr_float("value_float"))};
  if (node.has_attr("value_int")) return {Tensor::scalar<int64_t>(node.attr_int("value_int"))};
  if (node.has_attr("value_floats")) {
    const std::vector<float> v = node.attr_floats("value_floats");
    return {Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v)};
  }
  if (node.has_attr("value_ints")) {
    const std::vector<int64_t> v = node.attr_ints("value_ints");
    return {Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v)};
  }
  throw Error(ErrorKind::Unsupported, "Constant needs one of value, value_float(s), value_int(s) (sparse and string values are not supported)");
}

// If runs in the interpreter (its branches are graphs); the op table lists it so that models with
// it are known, and this kernel is never called for it.
Outputs if_kernel(const ir::Node&, const Inputs&, const KernelConfig&) {
  throw Error(ErrorKind::Internal, "If is run by the interpreter, not as a kernel");
}

}  // namespace quant::ops
