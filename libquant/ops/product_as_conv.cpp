#include "ops/product_as_conv.h"

#include "ops/onednn_conv.h"
#include "ops/window.h"

namespace quant::ops {

bool product_as_conv_applies(const Tensor& b, const KernelConfig& config) {
  return !config.reference && config.cache != nullptr && config.input_is_constant(1) && b.rank() == 2 && b.dtype() == DType::Float32;
}

Tensor product_as_conv(const Tensor& a, const Tensor& b, bool b_is_transposed, const float* bias, const KernelConfig& config) {
  const int64_t m = a.dim(0), k = a.dim(1), n = b_is_transposed ? b.dim(0) : b.dim(1);
  ConvGeometry g;
  g.batch = 1;
  g.in_channels = k;
  g.out_channels = n;
  g.spatial_rank = 2;
  g.window.in = g.window.out = {1, m, 1};
  // B^T [N, K] is the convolution's own weight order [M, C, 1, 1]; B [K, N] is read as [C, M].
  const WeightsOrder order = b_is_transposed ? WeightsOrder::OutputsFirst : WeightsOrder::InputsFirst;
  const Tensor image = a.viewed_as({1, k, m, 1}, Layout::ChannelsLast);
  const Tensor y = conv_forward_onednn(g, image, b.data<float>(), bias, {1, n, m, 1}, config, order);
  // Channels-last [1, N, M, 1] is Y [M, N] byte for byte (oneDNN gives that layout on every CPU
  // measured; anything else is rearranged first).
  return y.to_layout(Layout::ChannelsLast).viewed_as({m, n}, Layout::Plain);
}

}  // namespace quant::ops
