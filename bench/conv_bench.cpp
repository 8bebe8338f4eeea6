// One Conv shape on both of quant's fast paths: its own AVX2 loops (ops/direct_conv) and oneDNN's
// convolution primitive, same channels-last input, bias and fused Relu, each making a fresh output
// per run as the Conv kernel does. Prints the fastest of
// REPEATS runs of each in ms and GFLOP/s (2 * N * OH * OW * M * C * K * K / time), and the largest
// difference between the two results. Threads: OMP_NUM_THREADS. Square kernel, stride and pads:
//   conv_bench N H W C M K STRIDE PAD [REPEATS=30]
// e.g. ResNet-18's first stage at batch 8: conv_bench 8 56 56 64 64 3 1 1
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/allocator.h"
#include "fastest.h"
#include "ops/direct_conv.h"
#include "ops/node_cache.h"
#include "ops/onednn_conv.h"
#include "ops/onednn_util.h"

int main(int argc, char** argv) {
  using namespace quant;
  keep_large_blocks_for_reuse();  // as the interpreter does: outputs come from the heap, not fresh pages
  const BenchArgs args = bench_args(argc, argv, 8, "conv_bench N H W C M K STRIDE PAD");
  auto arg = [&](int i) { return args.values[static_cast<size_t>(i - 1)]; };
  ops::ConvGeometry g;
  g.batch = arg(1), g.in_channels = arg(4), g.out_channels = arg(5);
  const int64_t h = arg(2), w = arg(3), k = arg(6), stride = arg(7), pad = arg(8);
  const int repeats = args.repeats;
  g.window.in = {1, h, w};
  g.window.kernel = {1, k, k};
  g.window.stride = {1, stride, stride};
  g.window.pad_begin = {0, pad, pad};
  g.window.pad_end = {0, pad, pad};
  g.window.out = {1, (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1};
  const Shape out_shape{g.batch, g.out_channels, g.window.out[1], g.window.out[2]};

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor x(DType::Float32, {g.batch, g.in_channels, h, w}, Init::Uninitialized, Layout::ChannelsLast);
  Tensor weights(DType::Float32, {g.out_channels, g.in_channels, k, k}), bias(DType::Float32, {g.out_channels});
  for (Tensor* t : {&x, &weights, &bias})
    for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = dist(rng);
  const ops::FusedClamp relu{true, 0.0f, INFINITY};

  const std::vector<float> packed = ops::pack_direct_conv_weights(g, weights.data<float>());
  Tensor direct;
  const bool has_direct = ops::direct_conv_applies(g);
  const double direct_ms = has_direct ? fastest_ms(repeats, [&] {
    direct = Tensor(DType::Float32, out_shape, Init::Uninitialized, Layout::ChannelsLast);  // a fresh output, as the kernel makes
    ops::direct_conv(g, x.data<float>(), packed.data(), bias.data<float>(), relu, direct.data<float>());
  }) : 0;
  ops::NodeCache cache;
  ops::KernelConfig config;
  config.clamp = relu;
  config.cache = &cache;
  config.constant_inputs = 0b110;  // weights packed once, as for a model's initializers
  Tensor onednn;
  const double onednn_ms = fastest_ms(repeats, [&] {
    onednn = ops::conv_forward_onednn(g, x, weights.data<float>(), bias.data<float>(), out_shape, config);
  });

  double blocks_ms = 0;
  if (ops::onednn::channel_blocks_pay()) {
    const Tensor x_blocks = g.in_channels % 8 == 0 ? x.to_layout(Layout::ChannelBlocks8) : x.to_plain();
    ops::NodeCache blocks_cache;
    ops::KernelConfig blocks_config = config;
    blocks_config.cache = &blocks_cache;
    blocks_config.channel_blocks_out = g.out_channels % 8 == 0;
    blocks_ms = fastest_ms(repeats, [&] {
      Tensor y = ops::conv_forward_onednn(g, x_blocks, weights.data<float>(), bias.data<float>(), out_shape, blocks_config);
    });
  }
  const double gflop = 2.0 * static_cast<double>(g.batch * g.window.out_size() * g.out_channels * g.in_channels * k * k) * 1e-9;
  std::printf("onednn %.3f ms %.1f GFLOP/s", onednn_ms, gflop / onednn_ms * 1e3);
  if (blocks_ms > 0) std::printf(" | onednn blocks of 8 %.3f ms %.1f GFLOP/s", blocks_ms, gflop / blocks_ms * 1e3);
  if (!has_direct) {
    std::printf(" | direct_conv does not take this shape\n");
    return 0;
  }
  const Tensor a = direct.to_plain(), b = onednn.to_plain();
  double largest = 0;
  for (int64_t i = 0; i < a.numel(); ++i) largest = std::max(largest, std::abs(double(a.data<float>()[i]) - b.data<float>()[i]));
  std::printf(" | direct_conv %.3f ms %.1f GFLOP/s | largest difference %.3g\n", direct_ms, gflop / direct_ms * 1e3, largest);
  return 0;
}
