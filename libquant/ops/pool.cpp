// MaxPool and AveragePool over 1 to 3 spatial axes (window geometry in window.h). Float32 runs
// channels-last (a plain input is converted), on oneDNN (onednn_pool.h) where its rules are ONNX's,
// except MaxPool on AVX2 CPUs without AVX-512 kernels (max_pool_image_avx2); the loops here are the
// reference, that MaxPool, and the rest.
//   MaxPool:     Y = max over the window's taps inside the input (padding never wins).
//   AveragePool: Y = sum over taps inside the input / count, where count is the number of taps
//                inside the input (count_include_pad = 0) or inside the padded input (= 1).
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/cpu_features.h"
#include "ops/kernels.h"
#include "ops/onednn_pool.h"
#include "ops/onednn_util.h"
#include "ops/window.h"

namespace quant::ops {
namespace {

// The taps of one window along one axis: first in-bounds index, how many, and how many lie inside
// the padded input (for count_include_pad).
struct TapRange {
  int64_t first = 0, count = 0, padded = 0;
};

TapRange taps(const Window3& w, int a, int64_t o) {
  const int64_t start = o * w.stride[a] - w.pad_begin[a], step = w.dilation[a];
  const int64_t last = start + (w.kernel[a] - 1) * step;
  TapRange r;
  r.padded = (std::min(last, w.in[a] + w.pad_end[a] - 1) - start) / step + 1;
  const int64_t skip = start < 0 ? (-start + step - 1) / step : 0;  // taps before index 0
  r.first = start + skip * step;
  const int64_t end = std::min(last, w.in[a] - 1);
  r.count = r.first > end ? 0 : (end - r.first) / step + 1;
  return r;
}

// The tap ranges of every output position, per axis (the same for every plane).
using AxisTaps = std::array<std::vector<TapRange>, 3>;

AxisTaps all_taps(const Window3& w) {
  AxisTaps t;
  for (int a = 0; a < 3; ++a)
    for (int64_t o = 0; o < w.out[a]; ++o) t[static_cast<size_t>(a)].push_back(taps(w, a, o));
  return t;
}

// std::max by value: the reference std::max returns stops GCC from vectorizing the channel loop.
// As std::max, NaN in `a` stays and NaN in `b` is skipped.
template <typename T>
T larger(T a, T b) {
  return a < b ? b : a;
}

// Calls f(rd, rh, rw, pixel) for every output position of one image, pixel being its index in
// [out_d, out_h, out_w] order, with the tap ranges of its window along each axis.
template <class F>
void for_each_output(const Window3& w, const AxisTaps& t, F&& f) {
  for (int64_t od = 0; od < w.out[0]; ++od)
    for (int64_t oh = 0; oh < w.out[1]; ++oh)
      for (int64_t ow = 0; ow < w.out[2]; ++ow)
        f(t[0][static_cast<size_t>(od)], t[1][static_cast<size_t>(oh)], t[2][static_cast<size_t>(ow)], (od * w.out[1] + oh) * w.out[2] + ow);
}

// Calls f(pixel) for every tap of a window that lies inside the input, pixel being the tap's index
// in [in_d, in_h, in_w] order.
template <class F>
void for_each_tap(const Window3& w, const TapRange& rd, const TapRange& rh, const TapRange& rw, F&& f) {
  for (int64_t i = 0, id = rd.first; i < rd.count; ++i, id += w.dilation[0])
    for (int64_t j = 0, ih = rh.first; j < rh.count; ++j, ih += w.dilation[1])
      for (int64_t k = 0, iw = rw.first; k < rw.count; ++k, iw += w.dilation[2]) f((id * w.in[1] + ih) * w.in[2] + iw);
}

// One image laid out [spatial..., C]: every tap reads C contiguous values, so the innermost loop
// runs over channels (vectorized). A plain NCHW plane is the same with C = 1. Max accumulates in
// the output row itself (y and x never overlap), Average in doubles.
template <typename T, PoolKind kind>
void pool_image(const Window3& w, const AxisTaps& t, bool include_pad, int64_t channels, const T* __restrict x, T* __restrict y) {
  using Acc = std::conditional_t<kind == PoolKind::Max, T, double>;
  std::vector<double> sums(kind == PoolKind::Average ? static_cast<size_t>(channels) : 0);
  for_each_output(w, t, [&](const TapRange& rd, const TapRange& rh, const TapRange& rw, int64_t pixel) {
    T* py = y + pixel * channels;
    Acc* __restrict acc = nullptr;
    if constexpr (kind == PoolKind::Max) acc = py;
    else acc = sums.data();
    std::fill(acc, acc + channels, kind == PoolKind::Max ? std::numeric_limits<Acc>::lowest() : Acc(0));
    for_each_tap(w, rd, rh, rw, [&](int64_t tap) {
      const T* __restrict px = x + tap * channels;
      auto add_tap = [&](int64_t c) {
        if constexpr (kind == PoolKind::Max) acc[c] = larger(acc[c], px[c]);
        else acc[c] += px[c];
      };
      int64_t c = 0;
      // Blocks of 8 channels with a fixed trip count unroll to straight vector code; a loop of
      // `channels` would pay the vectorizer's set-up at every tap.
      for (; c + 8 <= channels; c += 8)
        for (int64_t v = c; v < c + 8; ++v) add_tap(v);
      for (; c < channels; ++c) add_tap(c);
    });
    if constexpr (kind == PoolKind::Average) {
      const double count =
          static_cast<double>(std::max<int64_t>(include_pad ? rd.padded * rh.padded * rw.padded : rd.count * rh.count * rw.count, 1));
      for (int64_t c = 0; c < channels; ++c) py[c] = static_cast<T>(acc[c] / count);
    }
  });
}

// Channels-last float MaxPool, the fast path (AVX2): each output pixel's channels go in blocks of
// 32 (four registers), then 8, then one by one, each block's maxima kept in registers over all taps
// and stored once (pool_image, the reference, accumulates in the output row: a store-to-load round
// trip per tap). The taps' offsets are gathered once per pixel; plain loops rather than for_each_*,
// as a lambda would not inherit the AVX2 target and its intrinsics would not inline.
// max_ps(p, acc) returns acc when either is NaN, which is larger(acc, p): NaN in acc kept, NaN in
// p skipped.
#if defined(__x86_64__)
#define QUANT_AVX2 __attribute__((target("avx2")))
bool max_pool_avx2_supported() {
  return cpu_has_avx2();
}

template <int V>
QUANT_AVX2 inline void max_pool_block_avx2(const float* x, const int64_t* offsets, int64_t count, float* y) {
  __m256 acc[V];
#pragma GCC unroll 4
  for (int v = 0; v < V; ++v) acc[v] = _mm256_set1_ps(std::numeric_limits<float>::lowest());
  for (int64_t i = 0; i < count; ++i) {
    const float* px = x + offsets[i];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[v] = _mm256_max_ps(_mm256_loadu_ps(px + 8 * v), acc[v]);
  }
#pragma GCC unroll 4
  for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + 8 * v, acc[v]);
}

QUANT_AVX2 void max_pool_image_avx2(const Window3& w, const AxisTaps& t, int64_t channels, const float* __restrict x, float* __restrict y) {
  std::vector<int64_t> offsets(static_cast<size_t>(std::max<int64_t>(w.kernel_size(), 1)));
  int64_t pixel = 0;
  for (int64_t od = 0; od < w.out[0]; ++od)
    for (int64_t oh = 0; oh < w.out[1]; ++oh)
      for (int64_t ow = 0; ow < w.out[2]; ++ow, ++pixel) {
        const TapRange& rd = t[0][static_cast<size_t>(od)];
        const TapRange& rh = t[1][static_cast<size_t>(oh)];
        const TapRange& rw = t[2][static_cast<size_t>(ow)];
        int64_t count = 0;
        for (int64_t i = 0, id = rd.first; i < rd.count; ++i, id += w.dilation[0])
          for (int64_t j = 0, ih = rh.first; j < rh.count; ++j, ih += w.dilation[1])
            for (int64_t k = 0, iw = rw.first; k < rw.count; ++k, iw += w.dilation[2])
              offsets[static_cast<size_t>(count++)] = ((id * w.in[1] + ih) * w.in[2] + iw) * channels;
        float* py = y + pixel * channels;
        int64_t c = 0;
        for (; c + 32 <= channels; c += 32) max_pool_block_avx2<4>(x + c, offsets.data(), count, py + c);
        for (; c + 8 <= channels; c += 8) max_pool_block_avx2<1>(x + c, offsets.data(), count, py + c);
        for (; c < channels; ++c) {
          float acc = std::numeric_limits<float>::lowest();
          for (int64_t i = 0; i < count; ++i) acc = larger(acc, x[offsets[static_cast<size_t>(i)] + c]);
          py[c] = acc;
        }
      }
}
#undef QUANT_AVX2
#else
bool max_pool_avx2_supported() { return false; }
void max_pool_image_avx2(const Window3&, const AxisTaps&, int64_t, const float*, float*) {}
#endif

template <PoolKind kind>
Outputs pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  const Tensor& given = required_input(inputs, 0, "X");
  if (given.rank() < 3 || given.rank() > 5)
    throw Error(ErrorKind::Data, "X must be [N, C, spatial...] with 1 to 3 spatial axes, got " + given.describe());
  // A plain (NCHW) float input is converted to channels-last first: oneDNN pools that layout with
  // its simple_nchw reference kernel and the loops below go plane by plane, one tap at a time; the
  // conversion and the channels-last kernel cost 10-20x less (bench/pool_bench: smallcnn's first
  // MaxPool 13.6 ms plain, 0.28 channels-last, plus about 0.5 ms for the conversion).
  // (One channel: the same memory order, seen as channels-last without a copy.)
  const bool to_channels_last = !config.reference && given.dtype() == DType::Float32 && given.layout() == Layout::Plain;
  const Tensor converted = !to_channels_last     ? Tensor()
                           : given.dim(1) == 1 ? given.viewed_as(given.shape(), Layout::ChannelsLast)
                                               : given.to_layout(Layout::ChannelsLast);
  const Tensor& x = to_channels_last ? converted : given;
  if (node.outputs.size() > 1 && !node.outputs[1].empty())
    throw Error(ErrorKind::Unsupported, "the Indices output of MaxPool is not supported");
  if (node.attr_int("storage_order", 0) != 0) throw Error(ErrorKind::Unsupported, "storage_order = 1 is not supported");
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  const std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  const Window3 w = compute_window(node, spatial, kernel, true);
  const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
  Shape out_shape{x.dim(0), x.dim(1)};
  for (int64_t d : from_3d(w.out, spatial.size())) out_shape.push_back(d);
  // Channels-last float MaxPool runs max_pool_image_avx2 where oneDNN has AVX2 kernels but no
  // AVX-512 ones: 2-4x faster than oneDNN 2.6's AVX2 channels-last pooling for 16 channels
  // (bench/pool_bench); its AVX-512 pooling was 2.5x faster than the earlier SSE loops.
  const bool loops_are_fast = kind == PoolKind::Max && x.dtype() == DType::Float32 && x.layout() == Layout::ChannelsLast &&
                              max_pool_avx2_supported() && !onednn::has_avx512_kernels();
  if (!config.reference && !loops_are_fast)
    if (std::optional<Tensor> fast = pool_forward_onednn(kind, w, include_pad, x, out_shape, config)) return {*fast};
  Tensor y(x.dtype(), out_shape, Init::Uninitialized, x.layout());
  const int64_t planes = x.dim(0) * x.dim(1);
  const AxisTaps t = all_taps(w);
  visit_numeric(x.dtype(), node.op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.data<T>();
    if (x.layout() == Layout::ChannelsLast) {
      const int64_t batch = x.dim(0), channels = x.dim(1);
#pragma omp parallel for if (batch > 1)
      for (int64_t n = 0; n < batch; ++n) {
        if constexpr (kind == PoolKind::Max && std::is_same_v<T, float>)
          if (!config.reference && max_pool_avx2_supported()) {
            max_pool_image_avx2(w, t, channels, px + n * channels * w.in_size(), py + n * channels * w.out_size());
            continue;
          }
        pool_image<T, kind>(w, t, include_pad, channels, px + n * channels * w.in_size(), py + n * channels * w.out_size());
      }
      return;
    }
#pragma omp parallel for if (planes > 1)
    for (int64_t p = 0; p < planes; ++p) pool_image<T, kind>(w, t, include_pad, 1, px + p * w.in_size(), py + p * w.out_size());
  });
  return {y};
}

}  // namespace

Outputs max_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  return pool_kernel<PoolKind::Max>(node, inputs, config);
}

Outputs average_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig& config) {
  if (node.attr_ints("dilations").size() > 0 && node.opset < 19)
    throw Error(ErrorKind::Model, "AveragePool takes dilations only from opset 19");
  return pool_kernel<PoolKind::Average>(node, inputs, config);
}

}  // namespace quant::ops
