// GlobalAveragePool: Y[n, c, 1...] = mean over all spatial positions of X[n, c, ...].
// GlobalMaxPool:     Y[n, c, 1...] = max over all spatial positions of X[n, c, ...].
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/kernels.h"

namespace quant::ops {

namespace {

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
  if (x.layout() == Layout::ChannelsLast) {  // [N, S, C]: sum rows of C values
    const int64_t batch = x.dim(0), channels = x.dim(1);
#pragma omp parallel for if (batch > 1)
    for (int64_t n = 0; n < batch; ++n) {
      std::vector<double> acc(static_cast<size_t>(channels), average ? 0.0 : -INFINITY);
      for (int64_t i = 0; i < size; ++i)
        for (int64_t c = 0; c < channels; ++c) {
          const double v = px[(n * size + i) * channels + c];
          double& a = acc[static_cast<size_t>(c)];
          a = average ? a + v : std::max(a, v);
        }
      for (int64_t c = 0; c < channels; ++c)
        py[n * channels + c] = static_cast<float>(average ? acc[static_cast<size_t>(c)] / static_cast<double>(size) : acc[static_cast<size_t>(c)]);
    }
    return {y};  // [N, C, 1...] is the same in both layouts: return it plain
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
