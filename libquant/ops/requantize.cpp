// Requantize (domain quant.integer): one quantized tensor to another scale, zero point or type
// (a QuantizeLinear of a DequantizeLinear in the QDQ model: a precision conversion).
//   Y_q = clamp(Z_Y + M * (X_q - Z_X), y_min, y_max),  M = S_X / S_Y     (ops/integer_requant.h)
// Attributes: x_zero_point and the requantizer's (one multiplier).
#include "ops/integer_requant.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs requantize_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_small_integer(x, "X");
  const Requantizer rq = read_requantizer(node, 1);
  std::vector<int32_t> y = centered_values(x, {node.attr_int("x_zero_point")}, -1);
  for (int32_t& v : y) {
    check_accumulator(!rq.fits(v));
    v = static_cast<int32_t>(rq.apply(v, 0));
  }
  return {integer_tensor(rq.dtype, x.shape(), y)};
}

}  // namespace quant::ops
