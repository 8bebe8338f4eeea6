// oneDNN's depthwise convolution (3x3, padding 1, Clip(0, 6) fused: MobileNetV2's) and the 1x1
// convolutions around it in MobileNetV2's blocks (expand from C/6 channels to C, project from C to
// C/6; C/6 rounded up to a multiple of 8), on the layout quant keeps between convolutions,
// channels-last (nhwc), and on oneDNN's 8-channel-blocked layout (nChw8c, ONNX Runtime's NCHWc on
// AVX2); then the two reorders that converting the depthwise layer's input and output would cost.
// Prints the fastest of REPEATS runs of each in ms. Threads: OMP_NUM_THREADS.
//   layout_bench N C H STRIDE [REPEATS=30]
// e.g. MobileNetV2's 56x56 depthwise layer at batch 8: layout_bench 8 144 56 1
// docs/performance.md says what the figures decided.
#include <dnnl.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "fastest.h"

namespace {

using dnnl::memory;
using tag = memory::format_tag;

void fill(const memory& m, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0; i < m.get_desc().get_size() / sizeof(float); ++i) p[i] = dist(rng);
}

}  // namespace

int main(int argc, char** argv) {
  const BenchArgs args = bench_args(argc, argv, 4, "layout_bench N C H STRIDE");
  const memory::dim n = args.values[0], c = args.values[1], h = args.values[2], stride = args.values[3];
  const int repeats = args.repeats;
  const memory::dim oh = (h + 2 - 3) / stride + 1;
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::mt19937 rng(1);

  // A convolution (depthwise 3x3 when `depthwise`, else 1x1 from `in` to `out` channels at size
  // `size`) with its source and destination in `layout`, weights in oneDNN's own.
  auto conv_ms = [&](bool depthwise, memory::dim in, memory::dim out, memory::dim size, tag layout) {
    const memory::dim k = depthwise ? 3 : 1, s = depthwise ? stride : 1, pad = depthwise ? 1 : 0;
    const memory::dim out_size = (size + 2 * pad - k) / s + 1;
    const memory::desc src({n, in, size, size}, memory::data_type::f32, layout), dst({n, out, out_size, out_size}, memory::data_type::f32, layout);
    const memory::desc weights_any = depthwise ? memory::desc({in, 1, 1, 3, 3}, memory::data_type::f32, tag::any)
                                               : memory::desc({out, in, 1, 1}, memory::data_type::f32, tag::any);
    const memory::desc bias({out}, memory::data_type::f32, tag::a);
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights_any, bias, dst,
                                               {s, s}, {pad, pad}, {pad, pad});
    dnnl::post_ops clip;
    clip.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(clip);
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
    const dnnl::convolution_forward conv(pd);
    const memory x(src, engine), w(pd.weights_desc(), engine), b(bias, engine), y(dst, engine);
    for (const memory* m : {&x, &w, &b}) fill(*m, rng);
    const double ms = fastest_ms(repeats, [&] {
      conv.execute(stream, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}});
      stream.wait();
    });
    char what[64];
    std::snprintf(what, sizeof what, "%s %lld -> %lld", depthwise ? "depthwise" : "1x1", static_cast<long long>(in), static_cast<long long>(out));
    std::printf("%-20s %-6s %-20s %8.3f ms\n", what, layout == tag::nhwc ? "nhwc" : "nChw8c", pd.impl_info_str(), ms);
  };
  const memory::dim narrow = (c / 6 + 7) / 8 * 8;
  for (const tag layout : {tag::nhwc, tag::nChw8c}) {
    conv_ms(false, narrow, c, h, layout);
    conv_ms(true, c, c, h, layout);
    conv_ms(false, c, narrow, oh, layout);
  }

  // The input's reorder into the blocked layout, and the output's back.
  auto reorder_ms = [&](memory::dim size, tag from, tag to, const char* what) {
    memory a(memory::desc({n, c, size, size}, memory::data_type::f32, from), engine);
    memory b(memory::desc({n, c, size, size}, memory::data_type::f32, to), engine);
    fill(a, rng);
    const dnnl::reorder reorder(a, b);
    const double ms = fastest_ms(repeats, [&] {
      reorder.execute(stream, a, b);
      stream.wait();
    });
    std::printf("reorder %-40s %8.3f ms\n", what, ms);
  };
  reorder_ms(h, tag::nhwc, tag::nChw8c, "input nhwc -> nChw8c");
  reorder_ms(oh, tag::nChw8c, tag::nhwc, "output nChw8c -> nhwc");
  return 0;
}
