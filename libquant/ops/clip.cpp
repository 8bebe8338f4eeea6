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

}  // namespace quant::ops
