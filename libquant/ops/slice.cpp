// Slice: for each sliced axis, take start, start + step, ... up to (not including) end.
// Negative starts/ends count from the end; both are then clamped to [0, dim] (step > 0) or
// [-1, dim - 1] (step < 0). Opset < 10 takes starts/ends/axes as attributes and no steps.
#include <algorithm>

#include "ops/kernels.h"
#include "ops/layout.h"
#include "ops/strided_copy.h"

namespace quant::ops {

Outputs slice_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "data");
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
    axes = node.attr_ints("axes");
  } else {
    starts = required_input(inputs, 1, "starts").to_int64_vector();
    ends = required_input(inputs, 2, "ends").to_int64_vector();
    axes = int_list(optional_input(inputs, 3));
    steps = int_list(optional_input(inputs, 4));
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    throw Error(ErrorKind::Model, "starts, ends, axes and steps must have the same length");

  const int64_t rank = x.rank();
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1);
  Shape out_shape = x.shape();
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t a = static_cast<size_t>(normalize_axis(axes[i], rank));
    const int64_t dim = x.shape()[a], s = steps[i];
    if (s == 0) throw Error(ErrorKind::Model, "slice step 0");
    int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    const int64_t count = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
    out_shape[a] = std::max<int64_t>(0, count);
    begin[a] = b;
    step[a] = s;
  }
  Tensor y(x.dtype(), out_shape, Init::Uninitialized);
  const std::vector<int64_t> strides = shape_strides(x.shape());
  std::vector<int64_t> src_stride(static_cast<size_t>(rank));
  int64_t offset = 0;
  for (size_t d = 0; d < static_cast<size_t>(rank); ++d) {
    offset += begin[d] * strides[d];
    src_stride[d] = step[d] * strides[d];
  }
  strided_copy(x.raw(), dtype_size(x.dtype()), out_shape, src_stride, offset, y.raw());
  return {y};
}

}  // namespace quant::ops
