// ArgMax, ArgMin: the int64 index of the largest (smallest) element along `axis`; the first such
// index, or the last when select_last_index = 1. keepdims = 1 keeps the axis as size 1.
#include "ops/kernels.h"

namespace quant::ops {
namespace {

Outputs arg_extreme(const ir::Node& node, const Inputs& inputs, bool largest) {
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), std::max<int64_t>(rank, 1));
  const bool last = node.attr_int("select_last_index", 0) != 0;
  int64_t outer = 1, length = x.dim(axis), inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (d < axis) outer *= x.dim(d);
    else if (d > axis) inner *= x.dim(d);
  if (length == 0) throw Error(ErrorKind::Data, "cannot take the arg of an empty axis");
  Shape out_shape = x.shape();
  if (node.attr_int("keepdims", 1) != 0) out_shape[static_cast<size_t>(axis)] = 1;
  else out_shape.erase(out_shape.begin() + axis);
  Tensor y(DType::Int64, out_shape, Init::Uninitialized);
  int64_t* py = y.data<int64_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      double best_v = x.value_as_double(o * length * inner + i);
      for (int64_t j = 1; j < length; ++j) {
        const double v = x.value_as_double((o * length + j) * inner + i);
        const bool better = largest ? (v > best_v || (last && v == best_v)) : (v < best_v || (last && v == best_v));
        if (better) best = j, best_v = v;
      }
      py[o * inner + i] = best;
    }
  return {y};
}

}  // namespace

Outputs arg_max_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return arg_extreme(n, in, true); }
Outputs arg_min_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return arg_extreme(n, in, false); }

}  // namespace quant::ops
