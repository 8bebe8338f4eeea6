// BatchNormalization (inference): Y = (X - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c].
#include <algorithm>
#include <cmath>

#include "ops/kernels.h"

namespace quant::ops {

Outputs batch_norm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  if (node.attr_int("training_mode", 0) != 0 || (node.outputs.size() > 1 && !node.outputs[1].empty()))
    throw Error(ErrorKind::Unsupported, "training mode (running statistics outputs) is not supported; export the model in eval mode");
  if (node.attr_int("spatial", 1) == 0)
    throw Error(ErrorKind::Unsupported, "spatial = 0 (per-element statistics, before opset 9) is not supported");
  const Tensor& x = required_input(inputs, 0, "X");
  require_float(x, "X");
  if (x.rank() < 2) throw Error(ErrorKind::Data, "X must be [N, C, ...], got " + x.describe());
  const int64_t channels = x.dim(1);
  const char* names[] = {"scale", "B", "mean", "var"};
  std::vector<const float*> p;
  for (size_t i = 1; i <= 4; ++i) {
    const Tensor& t = required_input(inputs, i, names[i - 1]);
    require_float(t, names[i - 1]);
    if (t.numel() != channels)
      throw Error(ErrorKind::Data, std::string(names[i - 1]) + " " + t.describe() + " must have " + std::to_string(channels) + " values");
    p.push_back(t.data<float>());
  }
  const double eps = node.attr_float("epsilon", 1e-5f);
  const int64_t inner = x.numel() / std::max<int64_t>(x.dim(0) * channels, 1);
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  const int64_t planes = x.dim(0) * channels;
#pragma omp parallel for if (planes > 64)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const int64_t c = pl % channels;
    const double mul = p[0][c] / std::sqrt(static_cast<double>(p[3][c]) + eps);
    const double add = p[1][c] - p[2][c] * mul;
    for (int64_t i = 0; i < inner; ++i) py[pl * inner + i] = static_cast<float>(px[pl * inner + i] * mul + add);
  }
  return {y};
}

}  // namespace quant::ops
