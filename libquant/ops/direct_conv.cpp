#include "ops/direct_conv.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/cpu_features.h"
#include "core/error.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quant::ops {

#if defined(__x86_64__)
namespace {

// Compiled for AVX2 + FMA whatever the build's target; only called after direct_conv_applies()
// checked the CPU.
#define QUANT_AVX2 __attribute__((target("avx2,fma")))

// Output channels per weight block: the micro-kernel's width (V = 2 vectors of 8); a last block
// of 8 when M is not a multiple of 16.
constexpr int64_t kBlock = 16;
// Pixels per micro-kernel call: as many as leave registers for the weights and one broadcast
// (6 x 2 accumulators + 2 weights + 1 broadcast, or 8 x 1 + 1 + 1, of 16 ymm registers).
constexpr int kPixels[3] = {0, 8, 6};

// One block of P output pixels by 8*V output channels: acc[p][v] starts at the bias and adds, for
// every tap t and input channel c in order, x(pixel p, tap t, c) * w[t][c][8v..8v+7].
// pixel[p] points at the pixel's first tap; tap t is at offset taps[t] from there.
template <int P, int V>
QUANT_AVX2 void micro_kernel(const float* const* pixel, const int64_t* taps, int64_t tap_count, int64_t channels, const float* w,
                             const float* bias, const FusedClamp& clamp, float* y, int64_t y_pixel_stride) {
  __m256 acc[P][V];
#pragma GCC unroll 2
  for (int v = 0; v < V; ++v) {
    const __m256 b = _mm256_loadu_ps(bias + 8 * v);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) acc[p][v] = b;
  }
  for (int64_t t = 0; t < tap_count; ++t) {
    const float* x[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) x[p] = pixel[p] + taps[t];
    for (int64_t c = 0; c < channels; ++c) {
      __m256 wv[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
      w += 8 * V;
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) {
        const __m256 xv = _mm256_broadcast_ss(x[p] + c);
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) acc[p][v] = _mm256_fmadd_ps(xv, wv[v], acc[p][v]);
      }
    }
  }
  if (clamp.active) {
    // max(lo, a) and min(hi, a) return a when it is NaN, as apply_clamp leaves NaN.
    const __m256 lo = _mm256_set1_ps(clamp.lo), hi = _mm256_set1_ps(clamp.hi);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[p][v] = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[p][v]));
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + p * y_pixel_stride + 8 * v, acc[p][v]);
}

using MicroKernel = void (*)(const float* const*, const int64_t*, int64_t, int64_t, const float*, const float*, const FusedClamp&, float*, int64_t);

// kMicroKernels[V][P]: the micro-kernel for P pixels (full blocks and the tail) by 8*V channels.
template <int V, int... P>
constexpr std::array<MicroKernel, 9> micro_kernel_row(std::integer_sequence<int, P...>) {
  return {nullptr, &micro_kernel<P + 1, V>...};
}
constexpr std::array<std::array<MicroKernel, 9>, 3> kMicroKernels{
    std::array<MicroKernel, 9>{}, micro_kernel_row<1>(std::make_integer_sequence<int, kPixels[1]>{}),
    micro_kernel_row<2>(std::make_integer_sequence<int, kPixels[2]>{})};

// The input as the kernel reads it: an image with its padding written out as zeros, so that
// every tap of every output pixel is in range.
struct PaddedExtent {
  std::array<int64_t, 3> size;  // padded spatial sizes
  bool needed;                  // any padding at all; else the input is read in place
  int64_t image_floats(int64_t channels) const { return size[0] * size[1] * size[2] * channels; }
};

// Each thread holds one padded image: at most this much (a 256x256 image of 128 channels is
// 32 MiB; larger ones go to oneDNN, which pads on the fly).
constexpr int64_t kMaxPaddedImageBytes = int64_t{32} << 20;
// The padded copy of a whole batch, shared by all threads (block-major order, direct_conv): at most this much.
constexpr int64_t kMaxPaddedBatchBytes = int64_t{64} << 20;

PaddedExtent padded_extent(const Window3& w) {
  PaddedExtent e{};
  for (int a = 0; a < 3; ++a) {
    e.size[a] = w.in[a] + w.pad_begin[a] + w.pad_end[a];
    e.needed = e.needed || w.pad_begin[a] != 0 || w.pad_end[a] != 0;
  }
  return e;
}

void pad_image(const Window3& w, const PaddedExtent& e, int64_t channels, const float* x, float* padded) {
  std::fill_n(padded, e.image_floats(channels), 0.0f);
  const int64_t row = w.in[2] * channels;
  for (int64_t d = 0; d < w.in[0]; ++d)
    for (int64_t h = 0; h < w.in[1]; ++h)
      std::memcpy(padded + (((d + w.pad_begin[0]) * e.size[1] + h + w.pad_begin[1]) * e.size[2] + w.pad_begin[2]) * channels,
                  x + (d * w.in[1] + h) * row, static_cast<size_t>(row) * sizeof(float));
}

// Offsets of the taps (kd, kh, kw in ONNX's order) from a pixel's first tap, in the padded image.
std::vector<int64_t> tap_offsets(const Window3& w, const PaddedExtent& e, int64_t channels) {
  std::vector<int64_t> taps;
  for (int64_t kd = 0; kd < w.kernel[0]; ++kd)
    for (int64_t kh = 0; kh < w.kernel[1]; ++kh)
      for (int64_t kw = 0; kw < w.kernel[2]; ++kw)
        taps.push_back(((kd * w.dilation[0] * e.size[1] + kh * w.dilation[1]) * e.size[2] + kw * w.dilation[2]) * channels);
  return taps;
}

// All output pixels of one image for one block of output channels (`width` = 8 or 16 of them),
// in pixel blocks of near-equal size (49 pixels as 4 x 6 + 5 x 5, not 8 x 6 + 1: a block of one
// pixel costs as many weight loads as a full one).
void conv_image_block(const ConvGeometry& g, const PaddedExtent& e, const std::vector<int64_t>& taps, const float* image, const float* w,
                      const float* bias, const FusedClamp& clamp, int64_t width, float* y) {
  const Window3& win = g.window;
  const int v = static_cast<int>(width / 8);
  const int64_t pixels = win.out_size(), channels = g.in_channels;
  const int64_t block_count = (pixels + kPixels[v] - 1) / kPixels[v];
  const float* pixel[8];
  int64_t od = 0, oh = 0, ow = 0;  // the next pixel's position
  for (int64_t b = 0, q = 0; b < block_count; ++b) {
    const int count = static_cast<int>(pixels / block_count + (b < pixels % block_count ? 1 : 0));
    for (int p = 0; p < count; ++p) {
      pixel[p] = image + ((od * win.stride[0] * e.size[1] + oh * win.stride[1]) * e.size[2] + ow * win.stride[2]) * channels;
      if (++ow == win.out[2]) {
        ow = 0;
        if (++oh == win.out[1]) oh = 0, ++od;
      }
    }
    kMicroKernels[v][count](pixel, taps.data(), static_cast<int64_t>(taps.size()), channels, w, bias, clamp, y + q * g.out_channels,
                            g.out_channels);
    q += count;
  }
}

}  // namespace

bool direct_conv_cpu_supported() {
  return cpu_has_avx2_fma();
}

bool direct_conv_applies(const ConvGeometry& g) {
  const PaddedExtent e = padded_extent(g.window);
  const bool padded_copy_fits = !e.needed || e.image_floats(g.in_channels) * static_cast<int64_t>(sizeof(float)) <= kMaxPaddedImageBytes;
  return direct_conv_may_apply(g.group, g.in_channels, g.out_channels, g.window.kernel_size(), static_cast<int64_t>(g.spatial_rank)) && padded_copy_fits;
}

bool direct_conv_may_apply(int64_t group, int64_t in_channels, int64_t out_channels, int64_t taps, int64_t spatial_rank) {
  return direct_conv_cpu_supported() && group == 1 && out_channels % 8 == 0 && (in_channels >= 8 || spatial_rank == 1) && taps > 1;
}

std::vector<float> pack_direct_conv_weights(const ConvGeometry& g, const float* w) {
  const int64_t taps = g.window.kernel_size(), channels = g.in_channels;
  std::vector<float> packed(static_cast<size_t>(g.out_channels * channels * taps));
  for (int64_t start = 0; start < g.out_channels; start += kBlock) {
    const int64_t width = std::min(kBlock, g.out_channels - start);
    float* block = packed.data() + start * channels * taps;
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t j = 0; j < width; ++j) block[(t * channels + c) * width + j] = w[((start + j) * channels + c) * taps + t];
  }
  return packed;
}

void direct_conv(const ConvGeometry& g, const float* x, const float* packed_w, const float* bias, const FusedClamp& clamp, float* y) {
  const Window3& win = g.window;
  const PaddedExtent e = padded_extent(win);
  const std::vector<int64_t> taps = tap_offsets(win, e, g.in_channels);
  std::vector<float> bias_or_zero(static_cast<size_t>(g.out_channels), 0.0f);
  if (bias) std::copy_n(bias, g.out_channels, bias_or_zero.begin());
  const int64_t blocks = (g.out_channels + kBlock - 1) / kBlock;
  const int64_t in_image = win.in_size() * g.in_channels, out_image = win.out_size() * g.out_channels;
  const int64_t weights_per_channel = g.in_channels * win.kernel_size();
  const int64_t items = g.batch * blocks;
  const int64_t image_floats = e.needed ? e.image_floats(g.in_channels) : in_image;
  // Items are (image, block of output channels). Image-major, a thread's items mostly share an
  // image, padded once per thread, and every image reads all the weights again; block-major, a
  // block's weights (16 x C x taps floats) serve every image while in cache, and every block reads
  // all the images again. Block-major reads less where a block's weights outweigh an image
  // (ResNet-18's last stage: 295 KB against a padded 9x9x512 image of 166 KB; 9.4 MB of weights
  // per image image-major); it needs every image padded first, for all threads, so only while
  // that copy stays within kMaxPaddedBatchBytes.
  const bool block_major = weights_per_channel * kBlock > image_floats && g.batch > 1 &&
                           (!e.needed || g.batch * image_floats * static_cast<int64_t>(sizeof(float)) <= kMaxPaddedBatchBytes);
  std::vector<float> padded_batch(block_major && e.needed ? static_cast<size_t>(g.batch * image_floats) : 0);
  if (!padded_batch.empty()) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int64_t n = 0; n < g.batch; ++n) pad_image(win, e, g.in_channels, x + n * in_image, padded_batch.data() + n * image_floats);
  }
#pragma omp parallel if (items > 1 && !omp_in_parallel())
  {
    std::vector<float> padded(e.needed && !block_major ? static_cast<size_t>(image_floats) : 0);
    int64_t padded_image = -1;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < items; ++i) {
      const int64_t n = block_major ? i % g.batch : i / blocks, start = (block_major ? i / g.batch : i % blocks) * kBlock;
      const float* image = x + n * in_image;
      if (block_major && e.needed) {
        image = padded_batch.data() + n * image_floats;
      } else if (e.needed) {
        if (padded_image != n) pad_image(win, e, g.in_channels, image, padded.data()), padded_image = n;
        image = padded.data();
      }
      conv_image_block(g, e, taps, image, packed_w + start * weights_per_channel, bias_or_zero.data() + start, clamp,
                       std::min(kBlock, g.out_channels - start), y + n * out_image + start);
    }
  }
}

#else  // not x86-64: oneDNN runs every convolution

bool direct_conv_cpu_supported() { return false; }
bool direct_conv_applies(const ConvGeometry&) { return false; }
bool direct_conv_may_apply(int64_t, int64_t, int64_t, int64_t, int64_t) { return false; }
std::vector<float> pack_direct_conv_weights(const ConvGeometry&, const float*) {
  throw Error(ErrorKind::Internal, "direct_conv is built for x86-64 only");
}
void direct_conv(const ConvGeometry&, const float*, const float*, const float*, const FusedClamp&, float*) {
  throw Error(ErrorKind::Internal, "direct_conv is built for x86-64 only");
}

#endif
}  // namespace quant::ops
