// Clip: y = min(max(x, lo), hi). Before opset 11 the bounds are attributes (min, max); from 11 on
// they are optional inputs 1 and 2. Absent bounds are the type's own limits.
#include <algorithm>
#include <limits>

#include "ops/kernels.h"

namespace quant::ops {

Outputs clip_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "input");
  return {visit_numeric(x.dtype(), "Clip", [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (node.opset < 11) {
      lo = static_cast<T>(node.attr_float("min", -std::numeric_limits<float>::max()));
      hi = static_cast<T>(node.attr_float("max", std::numeric_limits<float>::max()));
    } else {
      if (const Tensor* t = optional_input(inputs, 1)) lo = t->data<T>()[0];
      if (const Tensor* t = optional_input(inputs, 2)) hi = t->data<T>()[0];
    }
    Tensor y(x.dtype(), x.shape(), Init::Uninitialized, x.layout());  // element-wise: any layout
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const int64_t n = x.numel();
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) py[i] = px[i] < lo ? lo : (px[i] > hi ? hi : px[i]);
    return y;
  })};
}

std::optional<FusedClamp> clamp_of(const ir::Node& node, const std::function<const Tensor*(const std::string&)>& constant) {
  if (!node.domain.empty() || node.outputs.empty() || node.inputs.empty()) return std::nullopt;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (node.op_type == "Relu") return FusedClamp{true, 0.0f, kInf};
  if (node.op_type != "Clip") return std::nullopt;
  FusedClamp c{true, -kInf, kInf};
  if (node.opset < 11) {
    c.lo = node.attr_float("min", -std::numeric_limits<float>::max());
    c.hi = node.attr_float("max", std::numeric_limits<float>::max());
    return c;
  }
  for (size_t i = 1; i < 3 && i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty()) continue;
    const Tensor* t = constant(node.inputs[i]);
    if (!t || t->dtype() != DType::Float32 || t->numel() != 1) return std::nullopt;
    (i == 1 ? c.lo : c.hi) = t->data<float>()[0];
  }
  if (!(c.lo <= c.hi)) return std::nullopt;  // the kernel's own rule for crossed bounds stays in charge
  return c;
}

}  // namespace quant::ops
