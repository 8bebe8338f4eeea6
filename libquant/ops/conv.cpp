// Conv: Y[n, m, o...] = B[m] + sum_{c in group(m), k...} W[m, c, k...] * X[n, g*C/G + c, o*S + k*D - pad_begin]
// for 1 to 3 spatial axes (handled as 3-D). Three paths: the formula as nested loops
// (config.reference); on CPUs where oneDNN has no AVX-512 kernels, quant's own AVX2 loops
// (direct_conv.h) for dense convolutions of more than one tap with at least 8 input and a multiple
// of 8 output channels (direct_conv_applies); oneDNN's convolution primitive (onednn_conv.h) for
// everything else (grouped, depthwise, 1x1, few channels, CPUs without AVX2, CPUs with AVX-512).
#include <algorithm>
#include <vector>

#include "ops/direct_conv.h"
#include "ops/kernels.h"
#include "ops/node_cache.h"
#include "ops/onednn_conv.h"
#include "ops/onednn_util.h"
#include "ops/window.h"

namespace quant::ops {

ConvGeometry conv_geometry(const ir::Node& node, const Tensor& x, const Tensor& weight) {
  if (x.rank() < 3 || x.rank() > 5) throw Error(ErrorKind::Data, "X must be [N, C, spatial...] with 1 to 3 spatial axes, got " + x.describe());
  require_rank(weight, x.rank(), "W");
  ConvGeometry g;
  g.batch = x.dim(0);
  g.in_channels = x.dim(1);
  g.out_channels = weight.dim(0);
  g.group = node.attr_int("group", 1);
  g.spatial_rank = static_cast<size_t>(x.rank() - 2);
  if (g.group < 1 || g.in_channels % g.group != 0 || g.out_channels % g.group != 0)
    throw Error(ErrorKind::Data, "group " + std::to_string(g.group) + " does not divide the channels of X " + x.describe() +
                                     " and W " + weight.describe());
  if (weight.dim(1) * g.group != g.in_channels)
    throw Error(ErrorKind::Data, "W " + weight.describe() + " expects " + std::to_string(weight.dim(1) * g.group) +
                                     " input channels, X " + x.describe() + " has " + std::to_string(g.in_channels));
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  std::vector<int64_t> kernel(weight.shape().begin() + 2, weight.shape().end());
  const std::vector<int64_t> ks = node.attr_ints("kernel_shape");
  if (!ks.empty() && ks != kernel)
    throw Error(ErrorKind::Model, "kernel_shape " + shape_to_string(ks) + " does not match W " + weight.describe());
  g.window = compute_window(node, spatial, kernel, false);
  return g;
}

ConvChannelBlocks conv_channel_blocks(const ir::Node& node, const Shape& w) {
  if (!onednn::channel_blocks_pay() || w.size() != 4) return {};
  const int64_t group = node.attr_int("group", 1), out_channels = w[0], in_channels = w[1] * group, taps = w[2] * w[3];
  // Dense convolutions with a window over 8 or more channels run channels-last: on quant's own
  // loops with AVX2 (direct_conv), on oneDNN's AVX-512 kernels where those are taken (faster there
  // than its AVX2 ones on blocks: ResNet-18). The rest (depthwise and other grouped ones, 1x1, few
  // input channels) take and give blocks.
  const bool channels_last = onednn::has_avx512_kernels() ? group == 1 && in_channels >= 8 && taps > 1
                                                          : direct_conv_may_apply(group, in_channels, out_channels, taps, 2);
  if (channels_last) return {};
  return {.reads = true, .writes = out_channels % 8 == 0};
}

namespace {

void conv_reference(const ConvGeometry& s, const float* x, const float* w, const float* bias, float* y) {
  const Window3& win = s.window;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t m = 0; m < s.out_channels; ++m)
      for (int64_t od = 0; od < win.out[0]; ++od)
        for (int64_t oh = 0; oh < win.out[1]; ++oh)
          for (int64_t ow = 0; ow < win.out[2]; ++ow)
            y[(((n * s.out_channels + m) * win.out[0] + od) * win.out[1] + oh) * win.out[2] + ow] =
                static_cast<float>(conv_window_sum<double>(s, x, w, n, m, od, oh, ow, bias ? bias[m] : 0.0));
}

// direct_conv on tensors: the input in channels-last (a Conv's input usually already is: the
// previous Conv wrote it so), the weights packed once per node when they are constant.
Tensor conv_direct(const ConvGeometry& g, const Tensor& x, const Tensor& w, const float* bias, const Shape& out_shape,
                   const KernelConfig& config) {
  const Tensor x_channels_last = x.to_layout(Layout::ChannelsLast);
  auto pack = [&] { return pack_direct_conv_weights(g, w.data<float>()); };
  const std::shared_ptr<const std::vector<float>> packed =
      config.cache && config.input_is_constant(1) ? cached<std::vector<float>>(config.cache, "direct_conv weights", pack)
                                                  : std::make_shared<const std::vector<float>>(pack());
  Tensor y(DType::Float32, out_shape, Init::Uninitialized, Layout::ChannelsLast);
  direct_conv(g, x_channels_last.data<float>(), packed->data(), bias, config.clamp, y.data<float>());
  return y;
}

}  // namespace

Outputs conv_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& x = required_input(inputs, 0, "X");
  const Tensor& w = required_input(inputs, 1, "W");
  const Tensor* b = optional_input(inputs, 2);
  require_float(x, "X");
  require_float(w, "W");
  const ConvGeometry g = conv_geometry(node, x, w);
  if (b) {
    require_float(*b, "B");
    if (b->numel() != g.out_channels)
      throw Error(ErrorKind::Data, "B " + b->describe() + " must have one value per output channel (" + std::to_string(g.out_channels) + ")");
  }
  Shape out_shape{g.batch, g.out_channels};
  for (int64_t d : from_3d(g.window.out, g.spatial_rank)) out_shape.push_back(d);
  const float* bias = b ? b->data<float>() : nullptr;
  if (!config.reference && shape_numel(out_shape) > 0) {
    if (!onednn::has_avx512_kernels() && direct_conv_applies(g)) return {conv_direct(g, x, w, bias, out_shape, config)};
    return {conv_forward_onednn(g, x, w.data<float>(), bias, out_shape, config)};
  }
  Tensor y(DType::Float32, out_shape, Init::Uninitialized);
  conv_reference(g, x.to_plain().data<float>(), w.data<float>(), bias, y.data<float>());
  apply_clamp(y, config.clamp);
  return {y};
}

}  // namespace quant::ops
