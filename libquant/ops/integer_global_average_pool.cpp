// IntegerGlobalAveragePool (domain quant.integer): the mean over the spatial axes, in integers.
//   acc[n, c] = sum_{spatial} (X_q[n, c, ...] - Z_X)
//   Y_q[n, c] = clamp(Z_Y + M * acc[n, c], y_min, y_max),  M = S_X / (count * S_Y)
// The division by the count is in M, so the node is made for one spatial size (attribute count,
// checked here). Attributes: x_zero_point, count and the requantizer's (one multiplier).
#include "ops/integer_requant.h"
#include "ops/kernels.h"

namespace quant::ops {

Outputs integer_global_average_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_small_integer(x, "X");
  if (x.rank() < 3) throw Error(ErrorKind::Data, "X must be [N, C, spatial...], got " + x.describe());
  const int64_t planes = x.dim(0) * x.dim(1), count = x.numel() / std::max<int64_t>(planes, 1);
  if (count != node.attr_int("count"))
    throw Error(ErrorKind::Data, "the node averages " + std::to_string(node.attr_int("count")) + " values per channel, X " +
                                     x.describe() + " has " + std::to_string(count));
  const Requantizer rq = read_requantizer(node, 1);
  const std::vector<int32_t> xc = centered_values(x, {node.attr_int("x_zero_point")}, -1);
  std::vector<int32_t> y(static_cast<size_t>(planes));
  for (int64_t p = 0; p < planes; ++p) {
    int64_t acc = 0;
    for (int64_t i = 0; i < count; ++i) acc += xc[static_cast<size_t>(p * count + i)];
    check_accumulator(!rq.fits(acc));
    y[static_cast<size_t>(p)] = static_cast<int32_t>(rq.apply(acc, 0));
  }
  Shape out_shape(static_cast<size_t>(x.rank()), 1);
  out_shape[0] = x.dim(0);
  out_shape[1] = x.dim(1);
  return {integer_tensor(rq.dtype, out_shape, y)};
}

}  // namespace quant::ops
