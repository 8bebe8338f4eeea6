// Split: cuts the input along `axis` into the outputs, with sizes from `split` (attribute before
// opset 13, input 1 from 13), else equal parts (opset 18's num_outputs lets the last one be smaller).
#include <algorithm>
#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs split_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), x.rank());
  const int64_t count = static_cast<int64_t>(node.outputs.size());
  std::vector<int64_t> sizes = node.opset >= 13 ? int_list(optional_input(inputs, 1)) : node.attr_ints("split");
  const int64_t dim = x.dim(axis);
  if (sizes.empty()) {
    const int64_t part = (dim + count - 1) / count;
    if (!node.has_attr("num_outputs") && dim % count != 0)
      throw Error(ErrorKind::Data, "axis of size " + std::to_string(dim) + " does not split into " + std::to_string(count) + " equal parts");
    for (int64_t i = 0; i < count; ++i) sizes.push_back(std::min(part, dim - i * part));
  }
  int64_t sum = 0;
  for (int64_t s : sizes) sum += s;
  if (static_cast<int64_t>(sizes.size()) != count || sum != dim)
    throw Error(ErrorKind::Data, "split sizes " + shape_to_string(sizes) + " do not cut an axis of size " + std::to_string(dim) +
                                     " into " + std::to_string(count) + " outputs");
  const AxisView v = axis_view(x.shape(), axis);
  const size_t elem = dtype_size(x.dtype());
  Outputs outs;
  int64_t offset = 0;
  for (int64_t s : sizes) {
    Shape shape = x.shape();
    shape[static_cast<size_t>(axis)] = s;
    Tensor y(x.dtype(), shape);
    const size_t block = static_cast<size_t>(s * v.inner) * elem;
    for (int64_t o = 0; o < v.outer; ++o)
      std::memcpy(y.raw() + static_cast<size_t>(o) * block,
                  x.raw() + static_cast<size_t>((o * v.length + offset) * v.inner) * elem, block);
    offset += s;
    outs.push_back(y);
  }
  return outs;
}

}  // namespace quant::ops
