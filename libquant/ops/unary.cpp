// Element-wise functions of one float input, as one table: Relu, Sigmoid, Tanh, Exp, Sqrt, Erf,
// LeakyRelu (alpha), HardSigmoid (alpha, beta), HardSwish. Each row is its formula.
#include <algorithm>
#include <cmath>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

struct UnaryParams {
  double alpha = 0, beta = 0;
};

struct UnaryOp {
  const char* op_type;
  double default_alpha, default_beta;
  double (*fn)(double x, const UnaryParams& p);
};

constexpr UnaryOp kUnaryOps[] = {
    {"Relu", 0, 0, [](double x, const UnaryParams&) { return x > 0 ? x : 0.0; }},
    {"Sigmoid", 0, 0, [](double x, const UnaryParams&) { return 1.0 / (1.0 + std::exp(-x)); }},
    {"Tanh", 0, 0, [](double x, const UnaryParams&) { return std::tanh(x); }},
    {"Exp", 0, 0, [](double x, const UnaryParams&) { return std::exp(x); }},
    {"Sqrt", 0, 0, [](double x, const UnaryParams&) { return std::sqrt(x); }},
    {"Erf", 0, 0, [](double x, const UnaryParams&) { return std::erf(x); }},
    // LeakyRelu: x >= 0 ? x : alpha * x
    {"LeakyRelu", 0.01, 0, [](double x, const UnaryParams& p) { return x >= 0 ? x : p.alpha * x; }},
    // HardSigmoid: max(0, min(1, alpha * x + beta))
    {"HardSigmoid", 0.2, 0.5, [](double x, const UnaryParams& p) { return std::clamp(p.alpha * x + p.beta, 0.0, 1.0); }},
    // HardSwish: x * max(0, min(1, x / 6 + 1/2))
    {"HardSwish", 0, 0, [](double x, const UnaryParams&) { return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0); }},
};

const UnaryOp& find_unary(const std::string& op_type) {
  for (const UnaryOp& op : kUnaryOps)
    if (op_type == op.op_type) return op;
  throw Error(ErrorKind::Internal, "no unary function for " + op_type);
}

template <typename T>
void apply(const UnaryOp& op, const UnaryParams& p, const T* x, T* y, int64_t n) {
  // Relu is on the hot path of every CNN: keep it a plain float loop the compiler vectorizes.
  if (std::string_view(op.op_type) == "Relu") {
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
    return;
  }
#pragma omp parallel for if (n > (1 << 14))
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(op.fn(static_cast<double>(x[i]), p));
}

}  // namespace

Outputs unary_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const UnaryOp& op = find_unary(node.op_type);
  const UnaryParams params{node.attr_float("alpha", static_cast<float>(op.default_alpha)),
                           node.attr_float("beta", static_cast<float>(op.default_beta))};
  const Tensor& x = required_input(inputs, 0, "X");
  Tensor y(x.dtype(), x.shape(), Init::Uninitialized, x.layout());  // element-wise: any layout
  if (x.dtype() == DType::Float32) apply(op, params, x.data<float>(), y.data<float>(), x.numel());
  else if (x.dtype() == DType::Float64) apply(op, params, x.data<double>(), y.data<double>(), x.numel());
  else throw Error(ErrorKind::Unsupported, "input must be float32 or float64, got " + x.describe());
  return {y};
}

}  // namespace quant::ops
