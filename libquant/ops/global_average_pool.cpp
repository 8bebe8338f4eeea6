// GlobalAveragePool: Y[n, c, 1...] = mean over all spatial positions of X[n, c, ...].
// GlobalMaxPool:     Y[n, c, 1...] = max over all spatial positions of X[n, c, ...].
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/cpu_features.h"
#include "ops/kernels.h"

namespace quant::ops {

namespace {

// Folds an image's [S, C] values (channels-last) into acc[C], row by row: each channel's values in
// their order, into a double (the sum's rounding does not depend on S). fold_image below is compiled
// twice, plain and for AVX2 (four doubles a vector instead of two: dwnet's pool 0.12-0.14 ->
// 0.09-0.11 ms per batch of 100), with the same order of additions, so both give the same bits.
template <bool average>
[[gnu::always_inline]] inline void fold_rows(const float* x, int64_t rows, int64_t channels, double* acc) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < channels; ++c) {
      const double v = x[i * channels + c];
      acc[c] = average ? acc[c] + v : std::max(acc[c], v);
    }
}

// Folds one image into acc[C]: channels-last ([S, C]) as rows of C; in blocks of 8 channels
// ([C/8, S, 8]) block by block, as rows of 8 (the 8 a constant, so that the compiler keeps a
// block's accumulators in two vectors). The channels' values are added in the same order either way.
template <bool average>
[[gnu::always_inline]] inline void fold_image(const float* x, int64_t rows, int64_t channels, bool blocks, double* acc) {
  if (!blocks) return fold_rows<average>(x, rows, channels, acc);
  for (int64_t b = 0; b < channels / 8; ++b) fold_rows<average>(x + b * rows * 8, rows, 8, acc + b * 8);
}

#if defined(__x86_64__)
template <bool average>
__attribute__((target("avx2"))) void fold_image_avx2(const float* x, int64_t rows, int64_t channels, bool blocks, double* acc) {
  fold_image<average>(x, rows, channels, blocks, acc);
}
#endif

template <bool average>
Outputs global_pool(const Inputs& inputs) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_float(x, "X");
  if (x.rank() < 3) throw Error(ErrorKind::Data, "X must be [N, C, spatial...], got " + x.describe());
  Shape out_shape(x.shape().size(), 1);
  out_shape[0] = x.dim(0);
  out_shape[1] = x.dim(1);
  Tensor y(DType::Float32, out_shape, Init::Uninitialized);
  const int64_t planes = x.dim(0) * x.dim(1), size = x.numel() / std::max<int64_t>(planes, 1);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  if (x.layout() == Layout::ChannelsLast || x.layout() == Layout::ChannelBlocks8) {
    const int64_t batch = x.dim(0), channels = x.dim(1);
    const bool blocks = x.layout() == Layout::ChannelBlocks8;
    const bool avx2 = cpu_has_avx2();
#pragma omp parallel for if (batch > 1)
    for (int64_t n = 0; n < batch; ++n) {
      std::vector<double> acc(static_cast<size_t>(channels), average ? 0.0 : -INFINITY);
      const float* image = px + n * size * channels;
#if defined(__x86_64__)
      if (avx2)
        fold_image_avx2<average>(image, size, channels, blocks, acc.data());
      else
#endif
        fold_image<average>(image, size, channels, blocks, acc.data());
      for (int64_t c = 0; c < channels; ++c)
        py[n * channels + c] = static_cast<float>(average ? acc[static_cast<size_t>(c)] / static_cast<double>(size) : acc[static_cast<size_t>(c)]);
    }
    return {y};  // [N, C, 1...] is the same bytes in every layout: returned plain
  }
#pragma omp parallel for if (planes > 64)
  for (int64_t p = 0; p < planes; ++p) {
    double acc = average ? 0.0 : -INFINITY;
    for (int64_t i = 0; i < size; ++i) acc = average ? acc + px[p * size + i] : std::max<double>(acc, px[p * size + i]);
    py[p] = static_cast<float>(average ? acc / static_cast<double>(size) : acc);
  }
  return {y};
}

}  // namespace

Outputs global_average_pool_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) { return global_pool<true>(inputs); }
Outputs global_max_pool_kernel(const ir::Node&, const Inputs& inputs, const KernelConfig&) { return global_pool<false>(inputs); }

}  // namespace quant::ops
