// Concat: joins inputs along `axis`; all other dims must match.
#include <algorithm>
#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {

Outputs concat_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& first = required_input(inputs, 0, "inputs");
  const int64_t axis = normalize_axis(node.attr_int("axis"), first.rank());
  Shape out_shape = first.shape();
  out_shape[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = required_input(inputs, i, "inputs");
    if (t.dtype() != first.dtype() || t.rank() != first.rank())
      throw Error(ErrorKind::Data, "input " + std::to_string(i) + " " + t.describe() + " does not match input 0 " + first.describe());
    for (int64_t d = 0; d < t.rank(); ++d)
      if (d != axis && t.dim(d) != first.dim(d))
        throw Error(ErrorKind::Data, "input " + std::to_string(i) + " " + t.describe() + " differs from input 0 " +
                                         first.describe() + " outside axis " + std::to_string(axis));
    out_shape[static_cast<size_t>(axis)] += t.dim(axis);
  }
  // Inputs all channels-last ([N, C, spatial...] stored [N, spatial..., C]) are joined in their
  // stored order along the axis' stored place (C: each pixel takes each input's channels in turn)
  // and the result is channels-last; any other mix is joined in plain order.
  const bool channels_last = first.rank() >= 3 && std::all_of(inputs.begin(), inputs.end(), [](const Tensor* t) { return t->layout() == Layout::ChannelsLast; });
  const Layout layout = channels_last ? Layout::ChannelsLast : Layout::Plain;
  std::vector<Tensor> plain;
  if (!channels_last)
    for (const Tensor* t : inputs) plain.push_back(t->to_plain());
  const int64_t stored = stored_axis(axis, first.rank(), layout);
  Tensor y(first.dtype(), out_shape, Init::Uninitialized, layout);
  const size_t elem = dtype_size(first.dtype());
  const AxisView out_view = axis_view(stored_shape(out_shape, layout), stored);
  int64_t offset = 0;  // along the axis
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor* t = channels_last ? inputs[i] : &plain[i];
    const AxisView v = axis_view(stored_shape(t->shape(), layout), stored);
    const size_t block = static_cast<size_t>(v.length * v.inner) * elem;
    for (int64_t o = 0; o < v.outer; ++o)
      std::memcpy(y.raw() + static_cast<size_t>((o * out_view.length + offset) * out_view.inner) * elem,
                  t->raw() + static_cast<size_t>(o) * block, block);
    offset += v.length;
  }
  return {y};
}

}  // namespace quant::ops
