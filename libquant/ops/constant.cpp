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

// If, Loop and Scan run in the interpreter (interp/control_flow.h: their graphs read values of the
// graphs around them); the op table lists them so that models with them are known, and this kernel
// is never called for them.
Outputs control_flow_kernel(const ir::Node& node, const Inputs&, const KernelConfig&) {
  throw Error(ErrorKind::Internal, node.op_type + " is run by the interpreter, not as a kernel");
}

}  // namespace quant::ops
