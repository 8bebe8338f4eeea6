// IntegerConv (domain quant.integer): Conv on stored integers, as an integer accelerator runs it.
//   acc[n, m, o...] = B_q[m] + sum_{c in group(m), k...} (W_q[m, c, k...] - Z_W[m]) * (X_q[n, g*C/G + c, o*S + k*D - pad] - Z_X)
//   Y_q = clamp(Z_Y + M_m * acc, y_min, y_max)                         (ops/integer_requant.h)
// Padding holds Z_X, the real 0, so padded taps add nothing. The sum runs in 64 bits here; the
// node says whether an accelerator needs 32 or 64 (accumulator_bits), and with 32 the emulate stage
// has checked from the weights that no sum can leave int32.
// Inputs: X_q (8/16-bit), W_q (8/16-bit), B_q (int32, optional). Attributes: Conv's, plus
// x_zero_point, w_zero_point (one per output channel, or one) and the requantizer's.
#include "ops/integer_requant.h"
#include "ops/kernels.h"
#include "ops/window.h"

namespace quant::ops {

Outputs integer_conv_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  const Tensor& w = required_input(inputs, 1, "W");
  const Tensor* b = optional_input(inputs, 2);
  require_small_integer(x, "X");
  require_small_integer(w, "W");
  const ConvGeometry g = conv_geometry(node, x, w);
  if (b && (b->dtype() != DType::Int32 || b->numel() != g.out_channels))
    throw Error(ErrorKind::Data, "B must be int32 with one value per output channel, got " + b->describe());
  const Requantizer rq = read_requantizer(node, g.out_channels);
  const std::vector<int32_t> xc = centered_values(x, {node.attr_int("x_zero_point")}, -1);
  const std::vector<int32_t> wc = centered_values(w, node.attr_ints("w_zero_point"), 0);
  const int32_t* bias = b ? b->data<int32_t>() : nullptr;

  const Window3& win = g.window;
  Shape out_shape{g.batch, g.out_channels};
  for (int64_t d : from_3d(win.out, g.spatial_rank)) out_shape.push_back(d);
  std::vector<int32_t> y(static_cast<size_t>(shape_numel(out_shape)));
  bool overflowed = false;
#pragma omp parallel for collapse(2) schedule(static) reduction(|| : overflowed)
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t m = 0; m < g.out_channels; ++m)
      for (int64_t od = 0; od < win.out[0]; ++od)
        for (int64_t oh = 0; oh < win.out[1]; ++oh)
          for (int64_t ow = 0; ow < win.out[2]; ++ow) {
            const int64_t acc = conv_window_sum<int64_t>(g, xc.data(), wc.data(), n, m, od, oh, ow, bias ? bias[m] : 0);
            overflowed = overflowed || !rq.fits(acc);
            y[static_cast<size_t>((((n * g.out_channels + m) * win.out[0] + od) * win.out[1] + oh) * win.out[2] + ow)] =
                static_cast<int32_t>(rq.apply(acc, m));
          }
  check_accumulator(overflowed);
  return {integer_tensor(rq.dtype, out_shape, y)};
}

}  // namespace quant::ops
