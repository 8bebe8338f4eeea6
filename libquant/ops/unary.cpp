// Element-wise functions of one input, as one table: each row is an op, its two attributes (name and
// default) and its formula. Float32/float64 inputs; rows marked `integers` also take integer types
// (computed in double, exact for values up to 2^53). Rows with `floats` run float32 through that
// vectorized form (vector_math.h) where the CPU has AVX2; the formula is the reference.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "ops/kernels.h"
#include "ops/vector_math.h"

namespace quant::ops {
namespace {

struct UnaryParams {
  double alpha = 0, beta = 0;
};

struct UnaryOp {
  const char* op_type;
  double default_alpha, default_beta;
  double (*fn)(double x, const UnaryParams& p);
  const char* alpha_name = "alpha";
  const char* beta_name = "beta";
  bool integers = false;
  void (*floats)(const float* x, float* y, int64_t n) = nullptr;
};

double softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }

constexpr UnaryOp kUnaryOps[] = {
    {"Relu", 0, 0, [](double x, const UnaryParams&) { return x > 0 ? x : 0.0; }},
    {"Sigmoid", 0, 0, [](double x, const UnaryParams&) { return 1.0 / (1.0 + std::exp(-x)); }, "alpha", "beta", false, sigmoid_floats},
    {"Tanh", 0, 0, [](double x, const UnaryParams&) { return std::tanh(x); }, "alpha", "beta", false, tanh_floats},
    {"Exp", 0, 0, [](double x, const UnaryParams&) { return std::exp(x); }, "alpha", "beta", false, exp_floats},
    {"Sqrt", 0, 0, [](double x, const UnaryParams&) { return std::sqrt(x); }},
    {"Erf", 0, 0, [](double x, const UnaryParams&) { return std::erf(x); }, "alpha", "beta", false, erf_floats},
    // LeakyRelu: x >= 0 ? x : alpha * x
    {"LeakyRelu", 0.01, 0, [](double x, const UnaryParams& p) { return x >= 0 ? x : p.alpha * x; }},
    // HardSigmoid: max(0, min(1, alpha * x + beta))
    {"HardSigmoid", 0.2, 0.5, [](double x, const UnaryParams& p) { return std::clamp(p.alpha * x + p.beta, 0.0, 1.0); }},
    // HardSwish: x * max(0, min(1, x / 6 + 1/2))
    {"HardSwish", 0, 0, [](double x, const UnaryParams&) { return x * std::clamp(x / 6.0 + 0.5, 0.0, 1.0); }},
    {"Abs", 0, 0, [](double x, const UnaryParams&) { return std::abs(x); }, "alpha", "beta", true},
    {"Neg", 0, 0, [](double x, const UnaryParams&) { return -x; }, "alpha", "beta", true},
    {"Sign", 0, 0, [](double x, const UnaryParams&) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }, "alpha", "beta", true},
    {"Floor", 0, 0, [](double x, const UnaryParams&) { return std::floor(x); }},
    {"Ceil", 0, 0, [](double x, const UnaryParams&) { return std::ceil(x); }},
    // Round: half to even (the default rounding mode of nearbyint)
    {"Round", 0, 0, [](double x, const UnaryParams&) { return std::nearbyint(x); }},
    {"Reciprocal", 0, 0, [](double x, const UnaryParams&) { return 1.0 / x; }},
    {"Log", 0, 0, [](double x, const UnaryParams&) { return std::log(x); }},
    {"Sin", 0, 0, [](double x, const UnaryParams&) { return std::sin(x); }},
    {"Cos", 0, 0, [](double x, const UnaryParams&) { return std::cos(x); }},
    {"Tan", 0, 0, [](double x, const UnaryParams&) { return std::tan(x); }},
    {"Asin", 0, 0, [](double x, const UnaryParams&) { return std::asin(x); }},
    {"Acos", 0, 0, [](double x, const UnaryParams&) { return std::acos(x); }},
    {"Atan", 0, 0, [](double x, const UnaryParams&) { return std::atan(x); }},
    {"Sinh", 0, 0, [](double x, const UnaryParams&) { return std::sinh(x); }},
    {"Cosh", 0, 0, [](double x, const UnaryParams&) { return std::cosh(x); }},
    {"Asinh", 0, 0, [](double x, const UnaryParams&) { return std::asinh(x); }},
    {"Acosh", 0, 0, [](double x, const UnaryParams&) { return std::acosh(x); }},
    {"Atanh", 0, 0, [](double x, const UnaryParams&) { return std::atanh(x); }},
    // Softplus: log(1 + exp(x));  Softsign: x / (1 + |x|);  Mish: x * tanh(softplus(x))
    {"Softplus", 0, 0, [](double x, const UnaryParams&) { return softplus(x); }},
    {"Softsign", 0, 0, [](double x, const UnaryParams&) { return x / (1.0 + std::abs(x)); }},
    {"Mish", 0, 0, [](double x, const UnaryParams&) { return x * std::tanh(softplus(x)); }},
    // Elu: x >= 0 ? x : alpha * (exp(x) - 1);  Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    {"Elu", 1.0, 0, [](double x, const UnaryParams& p) { return x >= 0 ? x : p.alpha * (std::exp(x) - 1.0); }},
    {"Celu", 1.0, 0, [](double x, const UnaryParams& p) { return std::max(0.0, x) + std::min(0.0, p.alpha * (std::exp(x / p.alpha) - 1.0)); }},
    // Selu: gamma * (x > 0 ? x : alpha * (exp(x) - 1))
    {"Selu", 1.67326319217681884765625, 1.05070102214813232421875,
     [](double x, const UnaryParams& p) { return p.beta * (x > 0 ? x : p.alpha * (std::exp(x) - 1.0)); }, "alpha", "gamma"},
    // ThresholdedRelu: x > alpha ? x : 0
    {"ThresholdedRelu", 1.0, 0, [](double x, const UnaryParams& p) { return x > p.alpha ? x : 0.0; }},
    // Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0
    {"Shrink", 0.5, 0, [](double x, const UnaryParams& p) { return x < -p.alpha ? x + p.beta : x > p.alpha ? x - p.beta : 0.0; }, "lambd", "bias", true},
};

const UnaryOp& find_unary(const std::string& op_type) {
  for (const UnaryOp& op : kUnaryOps)
    if (op_type == op.op_type) return op;
  throw Error(ErrorKind::Internal, "no unary function for " + op_type);
}

template <typename T>
void apply(const UnaryOp& op, const UnaryParams& p, const T* x, T* y, int64_t n, bool reference) {
  // Relu is on the hot path of every CNN: keep it a plain float loop the compiler vectorizes.
  if (std::string_view(op.op_type) == "Relu") {
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
    return;
  }
  if constexpr (std::is_same_v<T, float>)
    if (op.floats && !reference && vector_math_supported()) {
      constexpr int64_t kChunk = 1 << 13;
      const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for if (chunks > 1)
      for (int64_t c = 0; c < chunks; ++c) op.floats(x + c * kChunk, y + c * kChunk, std::min(kChunk, n - c * kChunk));
      return;
    }
#pragma omp parallel for if (n > (1 << 14))
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(op.fn(static_cast<double>(x[i]), p));
}

}  // namespace

void unary_floats(const std::string& op_type, const float* x, float* y, int64_t n, bool reference) {
  const UnaryOp& op = find_unary(op_type);
  // The defaults as a node without the attributes reads them (attr_float: through float).
  apply(op, UnaryParams{static_cast<float>(op.default_alpha), static_cast<float>(op.default_beta)}, x, y, n, reference);
}

Outputs unary_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const UnaryOp& op = find_unary(node.op_type);
  const UnaryParams params{node.attr_float(op.alpha_name, static_cast<float>(op.default_alpha)),
                           node.attr_float(op.beta_name, static_cast<float>(op.default_beta))};
  const Tensor& x = required_input(inputs, 0, "X");
  Tensor y(x.dtype(), x.shape(), Init::Uninitialized, x.layout());  // element-wise: any layout
  if (x.dtype() == DType::Float32) apply(op, params, x.data<float>(), y.data<float>(), x.numel(), config.reference);
  else if (x.dtype() == DType::Float64) apply(op, params, x.data<double>(), y.data<double>(), x.numel(), config.reference);
  else if (op.integers && x.dtype() != DType::Bool && dtype_info(x.dtype()).npy_kind != 'f')
    visit_numeric(x.dtype(), op.op_type, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (!std::is_same_v<T, bool>) apply(op, params, x.data<T>(), y.data<T>(), x.numel(), config.reference);
    });
  else throw Error(ErrorKind::Unsupported, std::string("input must be float32 or float64") + (op.integers ? " or an integer type" : "") + ", got " + x.describe());
  return {y};
}

}  // namespace quant::ops
