// Add, Sub, Mul, Div: out = a (op) b with numpy broadcasting; both inputs of one numeric type.
// Integer Div truncates toward zero (C++ and ONNX Runtime agree).
// Min, Max, Sum: element-wise over any number of inputs (folded pairwise, broadcasting); NaN
// propagates. Mean: Sum / number of inputs. PRelu: x < 0 ? slope * x : x, slope broadcast to x.
#include <algorithm>
#include "core/cpu_features.h"
#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {
namespace {

enum class Arith { Add, Sub, Mul, Div, Min, Max, PRelu };

// Before opset 7, broadcasting was opt-in (broadcast = 1) and B's dims matched A's starting at
// `axis` (default: A's trailing dims). Seen through B padded with trailing 1s, that is numpy's rule.
Tensor legacy_broadcast(const ir::Node& node, const Tensor& a, const Tensor& b) {
  if (node.opset >= 7 || node.attr_int("broadcast", 0) == 0 || !node.has_attr("axis")) return b;
  const int64_t axis = normalize_axis(node.attr_int("axis"), a.rank());
  Shape shape = b.shape();
  if (axis + b.rank() > a.rank()) throw Error(ErrorKind::Data, "B " + b.describe() + " does not fit A " + a.describe() + " at axis " + std::to_string(axis));
  shape.resize(static_cast<size_t>(a.rank() - axis), 1);
  return b.reshaped(shape);
}

template <Arith op, typename T>
T apply(T x, T y) {
  if constexpr (op == Arith::Add) return static_cast<T>(x + y);
  if constexpr (op == Arith::Sub) return static_cast<T>(x - y);
  if constexpr (op == Arith::Mul) return static_cast<T>(x * y);
  if constexpr (op == Arith::Div) return static_cast<T>(x / y);
  if constexpr (op == Arith::Min) return (x != x || x < y) ? x : y;
  if constexpr (op == Arith::Max) return (x != x || x > y) ? x : y;
  if constexpr (op == Arith::PRelu) return x < T(0) ? static_cast<T>(x * y) : x;
}

#if defined(__x86_64__)
// Float Add/Sub/Mul/Div runs compiled for AVX2 (eight lanes; the build's baseline has four), chosen
// at run time. One IEEE operation per element: the same bits as the baseline loop.
template <Arith op>
__attribute__((target("avx2"))) void float_run_avx2(float* out, const float* a, const float* b, int64_t n, int64_t step_a, int64_t step_b) {
  auto fn = [](float x, float y) { return apply<op, float>(x, y); };
  binary_run(out, a, b, n, step_a, step_b, fn);
}
#endif

// Inputs may be channels-last (the op table says so): two of the same shape and layout (a residual
// Add of two Conv results) are combined in their stored order and the result keeps that layout;
// anything else is made plain first and broadcast.
template <Arith op>
Outputs arith_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& a_in = required_input(inputs, 0, "A");
  const Tensor& b_in = legacy_broadcast(node, a_in, required_input(inputs, 1, "B"));
  if (a_in.dtype() != b_in.dtype())
    throw Error(ErrorKind::Model, std::string("inputs have different types: ") + a_in.describe() + " and " + b_in.describe());
  const bool same_layout = a_in.layout() != Layout::Plain && a_in.layout() == b_in.layout() && a_in.shape() == b_in.shape();
  const Tensor a = same_layout ? a_in : a_in.to_plain(), b = same_layout ? b_in : b_in.to_plain();
  return {visit_numeric(a.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      throw Error(ErrorKind::Unsupported, "arithmetic on bool tensors");
      return Tensor();
    } else {
#if defined(__x86_64__)
      if constexpr (std::is_same_v<T, float> && (op == Arith::Add || op == Arith::Sub || op == Arith::Mul || op == Arith::Div))
        if (!same_layout && cpu_has_avx2()) return broadcast_binary_runs<float, float>(a, b, float_run_avx2<op>);
#endif
      if (!same_layout) return broadcast_binary<T, T>(a, b, [](T x, T y) -> T { return apply<op, T>(x, y); });
      Tensor out(a.dtype(), a.shape(), Init::Uninitialized, a.layout());
      const T* x = a.data<T>();
      const T* y = b.data<T>();
      T* z = out.data<T>();
      for (int64_t i = 0, n = a.numel(); i < n; ++i) z[i] = apply<op, T>(x[i], y[i]);
      return out;
    }
  })};
}

}  // namespace

template <Arith op>
Outputs fold_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  Tensor acc = required_input(inputs, 0, "data_0");
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Inputs pair{&acc, &required_input(inputs, i, "data")};
    acc = arith_kernel<op>(node, pair, config)[0];
  }
  return {acc};
}

Outputs add_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return arith_kernel<Arith::Add>(n, in, c); }
Outputs sub_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return arith_kernel<Arith::Sub>(n, in, c); }
Outputs mul_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return arith_kernel<Arith::Mul>(n, in, c); }
Outputs div_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return arith_kernel<Arith::Div>(n, in, c); }
Outputs min_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return fold_kernel<Arith::Min>(n, in, c); }
Outputs max_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return fold_kernel<Arith::Max>(n, in, c); }
Outputs sum_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) { return fold_kernel<Arith::Add>(n, in, c); }
// PRelu before opset 7 took a slope of one value per channel (axis 1): seen with trailing 1s.
Outputs prelu_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) {
  const Tensor& x = required_input(in, 0, "X");
  Tensor slope = required_input(in, 1, "slope");
  if (n.opset < 7 && slope.rank() == 1 && x.rank() >= 2 && slope.numel() == x.dim(1)) {
    Shape s(static_cast<size_t>(x.rank() - 1), 1);
    s[0] = slope.numel();
    slope = slope.reshaped(s);
  }
  return arith_kernel<Arith::PRelu>(n, {&x, &slope}, c);
}

Outputs mean_kernel(const ir::Node& n, const Inputs& in, const KernelConfig& c) {
  const Tensor sum = fold_kernel<Arith::Add>(n, in, c)[0];
  const Tensor count = cast_tensor(Tensor::scalar<float>(static_cast<float>(in.size())), sum.dtype());
  return arith_kernel<Arith::Div>(n, {&sum, &count}, c);
}

}  // namespace quant::ops
