// Pow: out = a ^ b with broadcasting. The exponent may have another numeric type than the base;
// the power is taken in double and converted to the base's type.
#include <algorithm>
#include <cmath>

#include "ops/broadcast.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs pow_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& base = required_input(inputs, 0, "X");
  const Tensor exponent = cast_tensor(required_input(inputs, 1, "Y"), DType::Float64);
  const Tensor base64 = cast_tensor(base, DType::Float64);
  const Tensor result = broadcast_binary<double, double>(base64, exponent, [](double x, double y) { return std::pow(x, y); });
  return {cast_tensor(result, base.dtype())};
}

}  // namespace quant::ops
