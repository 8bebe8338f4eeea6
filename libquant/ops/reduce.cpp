// ReduceMean, ReduceSum, ReduceMax over `axes` (all axes when none are given, unless
// noop_with_empty_axes = 1), keeping reduced axes as size 1 when keepdims = 1.
// Axes come from the attribute, or from input 1 for ReduceSum at opset >= 13 and the others at >= 18.
#include <algorithm>
#include <limits>

#include "ops/kernels.h"
#include "ops/layout.h"

namespace quant::ops {
namespace {

struct ReduceOp {
  const char* op_type;
  int axes_input_since;  // opset from which axes is an input
  double init;
  double (*combine)(double acc, double v);
  bool mean;
};

const ReduceOp kReduceOps[] = {
    {"ReduceSum", 13, 0.0, [](double a, double v) { return a + v; }, false},
    {"ReduceMean", 18, 0.0, [](double a, double v) { return a + v; }, true},
    {"ReduceMax", 18, -std::numeric_limits<double>::infinity(), [](double a, double v) { return std::max(a, v); }, false},
};

}  // namespace

Outputs reduce_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const ReduceOp* op = nullptr;
  for (const ReduceOp& r : kReduceOps)
    if (node.op_type == r.op_type) op = &r;
  if (!op) throw Error(ErrorKind::Internal, "no reduction for " + node.op_type);
  const Tensor& x = required_input(inputs, 0, "data");
  const int64_t rank = x.rank();
  std::vector<int64_t> axes = node.opset >= op->axes_input_since ? int_list(optional_input(inputs, 1)) : node.attr_ints("axes");
  if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) return {x};
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) reduced[static_cast<size_t>(normalize_axis(a, rank))] = true;
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Shape kept_shape = x.shape(), out_shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[static_cast<size_t>(d)]) kept_shape[static_cast<size_t>(d)] = 1;
    if (!reduced[static_cast<size_t>(d)] || keepdims) out_shape.push_back(kept_shape[static_cast<size_t>(d)]);
  }
  const int64_t out_count = shape_numel(kept_shape);
  std::vector<double> acc(static_cast<size_t>(out_count), op->init);
  const std::vector<int64_t> out_strides = shape_strides(kept_shape);
  std::vector<int64_t> index(static_cast<size_t>(rank), 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < static_cast<size_t>(rank); ++d)
      if (!reduced[d]) o += index[d] * out_strides[d];
    acc[static_cast<size_t>(o)] = op->combine(acc[static_cast<size_t>(o)], x.value_as_double(i));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[static_cast<size_t>(d)] < x.shape()[static_cast<size_t>(d)]) break;
      index[static_cast<size_t>(d)] = 0;
    }
  }
  const double count = static_cast<double>(x.numel()) / static_cast<double>(std::max<int64_t>(out_count, 1));
  Tensor y(x.dtype(), out_shape);
  visit_numeric(x.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    T* py = y.data<T>();
    for (int64_t o = 0; o < out_count; ++o) py[o] = static_cast<T>(op->mean ? acc[static_cast<size_t>(o)] / count : acc[static_cast<size_t>(o)]);
  });
  return {y};
}

}  // namespace quant::ops
