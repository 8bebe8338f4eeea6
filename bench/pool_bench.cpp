// One MaxPool shape (square window K, stride STRIDE, no padding: the pooling between smallcnn's and
// ResNet's convolutions) through quant's MaxPool kernel, as the interpreter runs it, on each layout
// a Conv may leave its result in: channels-last (quant's own SSE loops on AVX2 machines, oneDNN's
// pooling on AVX-512 ones), channels-last on oneDNN's pooling, and blocks of 8 channels (oneDNN's
// nChw8c pooling). Prints the fastest of REPEATS runs of each in ms and GB/s (input and output bytes
// over time). Threads: OMP_NUM_THREADS.
//   pool_bench N C H K STRIDE [REPEATS=30]
// e.g. smallcnn's first MaxPool at batch 100: pool_bench 100 16 28 2 2
#include <cstdio>
#include <cstdlib>
#include <random>

#include "core/allocator.h"
#include "fastest.h"
#include "ir/graph.h"
#include "ops/kernels.h"
#include "ops/node_cache.h"
#include "ops/onednn_pool.h"

int main(int argc, char** argv) {
  using namespace quant;
  keep_large_blocks_for_reuse();  // as the interpreter does: outputs come from the heap, not fresh pages
  const BenchArgs args = bench_args(argc, argv, 5, "pool_bench N C H K STRIDE");
  const int64_t n = args.values[0], c = args.values[1], h = args.values[2], k = args.values[3], stride = args.values[4];
  const int repeats = args.repeats;
  ir::Node node;
  node.op_type = "MaxPool";
  node.opset = 13;
  node.inputs = {"x"};
  node.outputs = {"y"};
  node.attributes["kernel_shape"] = ir::ints_attribute({k, k});
  node.attributes["strides"] = ir::ints_attribute({stride, stride});

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor plain(DType::Float32, {n, c, h, h});
  for (int64_t i = 0; i < plain.numel(); ++i) plain.data<float>()[i] = dist(rng);
  const int64_t oh = (h - k) / stride + 1;
  const double gbytes = static_cast<double>(n * c * (h * h + oh * oh)) * sizeof(float) * 1e-9;

  auto report = [&](const char* what, double ms) { std::printf("%-34s %8.3f ms %6.1f GB/s\n", what, ms, gbytes / ms * 1e3); };
  auto kernel_ms = [&](Layout layout, bool reference = false) {
    const Tensor x = plain.to_layout(layout);
    ops::NodeCache cache;
    ops::KernelConfig config;
    config.reference = reference;
    config.cache = &cache;
    return fastest_ms(repeats, [&] { ops::Outputs y = ops::max_pool_kernel(node, {&x}, config); });
  };
  report("kernel, channels-last", kernel_ms(Layout::ChannelsLast));
  {
    const Tensor x = plain.to_layout(Layout::ChannelsLast);
    const ops::Window3 w = ops::compute_window(node, {h, h}, {k, k}, true);
    ops::NodeCache cache;
    ops::KernelConfig config;
    config.cache = &cache;
    report("oneDNN, channels-last", fastest_ms(repeats, [&] {
             std::optional<Tensor> y = ops::pool_forward_onednn(ops::PoolKind::Max, w, false, x, {n, c, oh, oh}, config);
           }));
  }
  if (c % 8 == 0) report("kernel, blocks of 8 (oneDNN)", kernel_ms(Layout::ChannelBlocks8));
  report("kernel, plain", kernel_ms(Layout::Plain));
  report("reference loops, plain", kernel_ms(Layout::Plain, true));
  return 0;
}
