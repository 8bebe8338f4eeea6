#include "ops/gelu_unit.h"

#include <algorithm>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

// The float value of a one-element float32 constant, if `name` is one.
std::optional<float> scalar(const std::string& name, const std::function<const Tensor*(const std::string&)>& constant) {
  const Tensor* t = constant(name);
  if (!t || t->dtype() != DType::Float32 || t->numel() != 1) return std::nullopt;
  return t->data<float>()[0];
}

bool is(const ir::Node* n, const char* op_type) { return n && n->domain.empty() && n->op_type == op_type && n->inputs.size() == 2 && n->outputs.size() == 1; }

// Of a two-input node reading `value` beside a float scalar constant: whether `value` is its first
// operand, and the constant.
struct BesideScalar {
  bool value_first;
  float scalar;
};
std::optional<BesideScalar> beside_scalar(const ir::Node& n, const std::string& value,
                                          const std::function<const Tensor*(const std::string&)>& constant) {
  const bool value_first = n.inputs[0] == value;
  const std::optional<float> c = scalar(n.inputs[value_first ? 1 : 0], constant);
  if (!c) return std::nullopt;
  return BesideScalar{value_first, *c};
}

}  // namespace

std::optional<GeluUnit> match_gelu(const ir::Node& div, const std::function<const Tensor*(const std::string&)>& constant,
                                   const std::function<const ir::Node*(const std::string&)>& only_reader) {
  GeluUnit u;
  if (!is(&div, "Div")) return std::nullopt;
  const std::optional<float> s = scalar(div.inputs[1], constant);
  if (!s || constant(div.inputs[0])) return std::nullopt;
  u.x = div.inputs[0];
  u.s = *s;
  const ir::Node* erf = only_reader(div.outputs[0]);
  if (!erf || !erf->domain.empty() || erf->op_type != "Erf" || erf->inputs.size() != 1 || erf->outputs.size() != 1) return std::nullopt;
  const ir::Node* add = only_reader(erf->outputs[0]);
  if (!is(add, "Add")) return std::nullopt;
  const std::optional<BesideScalar> one = beside_scalar(*add, erf->outputs[0], constant);
  if (!one) return std::nullopt;
  u.e_first = one->value_first, u.one = one->scalar;
  const ir::Node* mul = only_reader(add->outputs[0]);
  if (!is(mul, "Mul")) return std::nullopt;
  u.x_first = mul->inputs[0] == u.x;
  if (mul->inputs[u.x_first ? 1 : 0] != add->outputs[0] || mul->inputs[u.x_first ? 0 : 1] != u.x) return std::nullopt;
  const ir::Node* last = only_reader(mul->outputs[0]);
  if (!is(last, "Mul")) return std::nullopt;
  const std::optional<BesideScalar> half = beside_scalar(*last, mul->outputs[0], constant);
  if (!half) return std::nullopt;
  u.m_first = half->value_first, u.half = half->scalar;
  u.nodes = {&div, erf, add, mul, last};
  u.interior = {div.outputs[0], erf->outputs[0], add->outputs[0], mul->outputs[0]};
  return u;
}

Tensor run_gelu_unit(const GeluUnit& unit, const Tensor& x_any_layout, bool reference) {
  if (x_any_layout.dtype() != DType::Float32) throw Error(ErrorKind::Internal, "GELU unit on " + x_any_layout.describe() + " (float32 only)");
  // Plain, as the Div kernel makes its result (a scalar divisor broadcasts over the plain tensor).
  const Tensor x_plain = x_any_layout.to_plain();
  Tensor y(DType::Float32, x_plain.shape(), Init::Uninitialized);
  const float* const x = x_plain.data<float>();
  float* const out = y.data<float>();
  const int64_t n = x_plain.numel();
  // Chunks of the size the Erf kernel takes at a time; erf is element-wise, so any split gives the
  // same values.
  constexpr int64_t kChunk = 1 << 13;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  const float s = unit.s, one = unit.one, half = unit.half;  // locals: the stores below could alias the unit's
  const bool e_first = unit.e_first, x_first = unit.x_first, m_first = unit.m_first;
#pragma omp parallel for if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t begin = c * kChunk, count = std::min(kChunk, n - begin);
    const float* xc = x + begin;
    float* yc = out + begin;
    for (int64_t i = 0; i < count; ++i) yc[i] = xc[i] / s;  // d
    unary_floats("Erf", yc, yc, count, reference);           // e
    for (int64_t i = 0; i < count; ++i) {
      const float a = e_first ? yc[i] + one : one + yc[i];
      const float m = x_first ? xc[i] * a : a * xc[i];
      yc[i] = m_first ? m * half : half * m;
    }
  }
  return y;
}

}  // namespace quant::ops
