// Comparisons and logic, element-wise with numpy broadcasting; outputs are bool:
//   Equal, Greater, Less, GreaterOrEqual, LessOrEqual: a (op) b over any numeric type;
//   And, Or, Xor: on bool inputs;  Not: !x;
//   IsNaN: x != x;  IsInf: |x| = inf (detect_negative / detect_positive choose the signs).
#include <cmath>

#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {
namespace {

enum class Cmp { Equal, Greater, Less, GreaterOrEqual, LessOrEqual, And, Or, Xor };

template <Cmp op>
Outputs compare_kernel(const ir::Node& node, const Inputs& inputs) {
  const Tensor& a = required_input(inputs, 0, "A");
  const Tensor& b = required_input(inputs, 1, "B");
  if (a.dtype() != b.dtype()) throw Error(ErrorKind::Model, "inputs have different types: " + a.describe() + " and " + b.describe());
  constexpr bool logical = op == Cmp::And || op == Cmp::Or || op == Cmp::Xor;
  if (logical && a.dtype() != DType::Bool) throw Error(ErrorKind::Model, node.op_type + " takes bool inputs, got " + a.describe());
  return {visit_numeric(a.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    return broadcast_binary<T, bool>(a, b, [](T x, T y) -> bool {
      if constexpr (op == Cmp::Equal) return x == y;
      if constexpr (op == Cmp::Greater) return x > y;
      if constexpr (op == Cmp::Less) return x < y;
      if constexpr (op == Cmp::GreaterOrEqual) return x >= y;
      if constexpr (op == Cmp::LessOrEqual) return x <= y;
      if constexpr (op == Cmp::And) return x && y;
      if constexpr (op == Cmp::Or) return x || y;
      if constexpr (op == Cmp::Xor) return x != y;
    });
  })};
}

// out[i] = pred(x[i]) for a float input.
template <typename Pred>
Tensor float_predicate(const Tensor& x, Pred&& pred) {
  Tensor y(DType::Bool, x.shape(), Init::Uninitialized);
  bool* py = y.data<bool>();
  if (x.dtype() == DType::Float32) {
    const float* px = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = pred(static_cast<double>(px[i]));
  } else if (x.dtype() == DType::Float64) {
    const double* px = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = pred(px[i]);
  } else {
    throw Error(ErrorKind::Unsupported, "input must be float32 or float64, got " + x.describe());
  }
  return y;
}

}  // namespace

Outputs equal_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::Equal>(n, in); }
Outputs greater_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::Greater>(n, in); }
Outputs less_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::Less>(n, in); }
Outputs greater_or_equal_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::GreaterOrEqual>(n, in); }
Outputs less_or_equal_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::LessOrEqual>(n, in); }
Outputs and_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::And>(n, in); }
Outputs or_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::Or>(n, in); }
Outputs xor_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return compare_kernel<Cmp::Xor>(n, in); }

Outputs not_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  if (x.dtype() != DType::Bool) throw Error(ErrorKind::Model, "Not takes a bool input, got " + x.describe());
  Tensor y(DType::Bool, x.shape(), Init::Uninitialized);
  for (int64_t i = 0; i < x.numel(); ++i) y.data<bool>()[i] = !x.data<bool>()[i];
  return {y};
}

Outputs is_nan_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) {
  return {float_predicate(required_input(inputs, 0, "X"), [](double v) { return std::isnan(v); })};
}

Outputs is_inf_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const bool neg = node.attr_int("detect_negative", 1) != 0, pos = node.attr_int("detect_positive", 1) != 0;
  return {float_predicate(required_input(inputs, 0, "X"), [&](double v) { return std::isinf(v) && (v > 0 ? pos : neg); })};
}

}  // namespace quant::ops
