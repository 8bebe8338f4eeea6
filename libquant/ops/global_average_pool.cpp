// GlobalAveragePool: Y[n, c, 1...] = mean over all spatial positions of X[n, c, ...].
#include <algorithm>
#include "ops/kernels.h"

namespace quant::ops {

Outputs global_average_pool_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor& x = required_input(inputs, 0, "X");
  require_float(x, "X");
  if (x.rank() < 3) throw Error(ErrorKind::Data, "X must be [N, C, spatial...], got " + x.describe());
  Shape out_shape(x.shape().size(), 1);
  out_shape[0] = x.dim(0);
  out_shape[1] = x.dim(1);
  Tensor y(DType::Float32, out_shape);
  const int64_t planes = x.dim(0) * x.dim(1), size = x.numel() / std::max<int64_t>(planes, 1);
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for if (planes > 64)
  for (int64_t p = 0; p < planes; ++p) {
    double acc = 0;
    for (int64_t i = 0; i < size; ++i) acc += px[p * size + i];
    py[p] = static_cast<float>(acc / static_cast<double>(size));
  }
  return {y};
}

}  // namespace quant::ops
