// Pad: grows each axis by pads[begin], pads[end] (negative values crop). New elements are
//   constant: the constant value (attribute `value` before opset 11, input 2 from 11; default 0),
//   reflect:  the mirror image without repeating the edge (x[-1] = x[1]),
//   edge:     the nearest edge value.
// Pads come from the attribute (opset < 11) or input 1; opset 18's axes input selects the axes.
#include <algorithm>
#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs pad_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  std::vector<int64_t> given = node.opset >= 11 ? required_input(inputs, 1, "pads").to_int64_vector() : node.attr_ints("pads");
  std::vector<int64_t> axes = int_list(optional_input(inputs, 3));
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  if (given.size() != 2 * axes.size())
    throw Error(ErrorKind::Model, "pads has " + std::to_string(given.size()) + " values, expected " + std::to_string(2 * axes.size()));
  std::vector<int64_t> pb(static_cast<size_t>(rank), 0), pe(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t a = static_cast<size_t>(normalize_axis(axes[i], rank));
    pb[a] = given[i];
    pe[a] = given[i + axes.size()];
  }
  const std::string mode = node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    throw Error(ErrorKind::Unsupported, "pad mode '" + mode + "' is not supported (constant, reflect, edge)");
  Shape out_shape(static_cast<size_t>(rank));
  for (size_t d = 0; d < out_shape.size(); ++d) {
    out_shape[d] = x.shape()[d] + pb[d] + pe[d];
    if (out_shape[d] < 0) throw Error(ErrorKind::Data, "pads crop more than the input has");
    if (mode == "reflect" && (pb[d] >= x.shape()[d] || pe[d] >= x.shape()[d]) && (pb[d] > 0 || pe[d] > 0))
      throw Error(ErrorKind::Data, "reflect padding must be smaller than the axis it pads");
  }
  Tensor y(x.dtype(), out_shape);
  visit_numeric(x.dtype(), "Pad", [&](auto tag) {
    using T = decltype(tag);
    T fill = T(0);
    if (node.opset >= 11) {
      if (const Tensor* c = optional_input(inputs, 2)) fill = c->data<T>()[0];
    } else {
      fill = static_cast<T>(node.attr_float("value", 0.0f));
    }
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const std::vector<int64_t> in_strides = shape_strides(x.shape());
    std::vector<int64_t> index(static_cast<size_t>(rank), 0);
    for (int64_t o = 0; o < y.numel(); ++o) {
      int64_t src = 0;
      bool inside = true;
      for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
        int64_t i = index[d] - pb[d];
        const int64_t dim = x.shape()[d];
        if (i < 0 || i >= dim) {
          if (mode == "constant") { inside = false; break; }
          if (mode == "edge") i = std::clamp<int64_t>(i, 0, dim - 1);
          else i = i < 0 ? -i : 2 * (dim - 1) - i;
        }
        src += i * in_strides[d];
      }
      py[o] = inside ? px[src] : fill;
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[static_cast<size_t>(d)] < out_shape[static_cast<size_t>(d)]) break;
        index[static_cast<size_t>(d)] = 0;
      }
    }
  });
  return {y};
}

}  // namespace quant::ops
