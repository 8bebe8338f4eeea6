// Reshape, Flatten, Squeeze, Unsqueeze and Identity: the same elements under a new shape (the
// buffer is shared, nothing is copied).
//   Reshape: 0 copies the input dim (unless allowzero = 1), -1 takes what is left.
//   Flatten: [prod(:axis), prod(axis:)].
//   Squeeze / Unsqueeze: axes from the attribute (opset < 13) or input 1 (opset >= 13).
#include <algorithm>

#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs reshape_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  // Reshape-1 (before opset 5) took the shape as an attribute.
  const std::vector<int64_t> requested =
      node.opset < 5 ? node.attr_ints("shape") : required_input(inputs, 1, "shape").to_int64_vector();
  const bool allow_zero = node.attr_int("allowzero", 0) != 0;
  Shape shape(requested.size());
  int64_t infer_at = -1, known = 1;
  for (size_t i = 0; i < requested.size(); ++i) {
    int64_t d = requested[i];
    if (d == 0 && !allow_zero) {
      if (static_cast<int64_t>(i) >= x.rank()) throw Error(ErrorKind::Data, "shape value 0 at position " + std::to_string(i) + " has no input dim to copy");
      d = x.dim(static_cast<int64_t>(i));
    }
    if (d == -1) {
      if (infer_at >= 0) throw Error(ErrorKind::Data, "shape " + shape_to_string(requested) + " has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d < 0) throw Error(ErrorKind::Data, "invalid shape value " + std::to_string(d));
    shape[i] = d;
    known *= d;
  }
  if (infer_at >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw Error(ErrorKind::Data, "cannot reshape " + x.describe() + " to " + shape_to_string(requested));
    shape[static_cast<size_t>(infer_at)] = x.numel() / known;
  }
  return {x.reshaped(shape)};
}

Outputs flatten_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  const int64_t axis = node.attr_int("axis", 1);
  const int64_t a = axis < 0 ? axis + x.rank() : axis;
  if (a < 0 || a > x.rank()) throw Error(ErrorKind::Model, "axis " + std::to_string(axis) + " is out of range for " + x.describe());
  int64_t outer = 1;
  for (int64_t d = 0; d < a; ++d) outer *= x.dim(d);
  return {x.reshaped({outer, outer == 0 ? 0 : x.numel() / outer})};
}

namespace {
std::vector<int64_t> axes_of(const ir::Node& node, const Inputs& inputs) {
  return node.opset >= 13 ? int_list(optional_input(inputs, 1)) : node.attr_ints("axes");
}
}  // namespace

Outputs squeeze_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  std::vector<int64_t> axes = axes_of(node, inputs);
  for (int64_t& a : axes) {
    a = normalize_axis(a, x.rank());
    if (x.dim(a) != 1) throw Error(ErrorKind::Data, "cannot squeeze axis " + std::to_string(a) + " of " + x.describe());
  }
  Shape shape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    const bool drop = axes.empty() ? x.dim(d) == 1 : std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!drop) shape.push_back(x.dim(d));
  }
  return {x.reshaped(shape)};
}

Outputs unsqueeze_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  std::vector<int64_t> axes = axes_of(node, inputs);
  const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
  for (int64_t& a : axes) a = normalize_axis(a, rank);
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) throw Error(ErrorKind::Model, "repeated axis in Unsqueeze");
  Shape shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (std::binary_search(axes.begin(), axes.end(), d)) shape.push_back(1);
    else shape.push_back(x.dim(static_cast<int64_t>(next++)));
  }
  return {x.reshaped(shape)};
}

Outputs identity_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  return {required_input(inputs, 0, "input")};
}

}  // namespace quant::ops
