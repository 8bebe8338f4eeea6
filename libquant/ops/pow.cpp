// Pow: out = a ^ b with broadcasting. The exponent may have another numeric type than the base;
// the power is taken in double and converted to the base's type. A float32 base with one exponent
// value (x ^ 2 in exported LayerNorms and GELUs) runs as one loop, x ^ 2 as x * x: the exact double
// product of two floats rounded to float, which is what pow in double then the cast give.
#include <algorithm>
#include <cmath>

#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs pow_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& base = required_input(inputs, 0, "X");
  const Tensor exponent = cast_tensor(required_input(inputs, 1, "Y"), DType::Float64);
  if (base.dtype() == DType::Float32 && exponent.numel() == 1 && exponent.rank() <= base.rank()) {
    const double e = exponent.data<double>()[0];
    Tensor y(DType::Float32, base.shape(), Init::Uninitialized, base.layout());
    const float* x = base.data<float>();
    float* out = y.data<float>();
    const int64_t n = base.numel();
    if (e == 2.0) {
#pragma omp parallel for if (n > (1 << 16))
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] * x[i];
    } else {
#pragma omp parallel for if (n > (1 << 14))
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(std::pow(static_cast<double>(x[i]), e));
    }
    return {y};
  }
  const Tensor base64 = cast_tensor(base, DType::Float64);
  const Tensor result = broadcast_binary<double, double>(base64, exponent, [](double x, double y) { return std::pow(x, y); });
  return {cast_tensor(result, base.dtype())};
}

}  // namespace quant::ops
