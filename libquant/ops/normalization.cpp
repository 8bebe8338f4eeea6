// Normalizations that compute their statistics from the input (all in double):
//   LayerNormalization: over the dims from `axis` (default -1) on, per leading index:
//     Y = (X - mean) / sqrt(var + epsilon) * Scale + B (Scale, B broadcast to the normalized dims);
//     optional outputs Mean and InvStdDev = 1 / sqrt(var + epsilon), shaped X.shape[:axis] + [1]*.
//   InstanceNormalization: per (n, c) over the spatial dims: Y = (X - mean) / sqrt(var + eps) * scale[c] + B[c].
//   MeanVarianceNormalization: over `axes` (default [0, 2, 3]): Y = (X - mean) / sqrt(E[(X - mean)²]).
//   LRN: Y = X / (bias + alpha / size * Σ X[c']²)^beta over the size channels c' around c.
#include <cmath>

#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/sums.h"

namespace quant::ops {
namespace {

// Mean and variance (population, two passes) of n contiguous values.
void moments(const float* p, int64_t n, double& mean, double& var) {
  mean = sum_of(p, n) / static_cast<double>(n);
  const double m = mean;
  var = sum_of_terms(p, n, [m](float v) { return (v - m) * (v - m); }) / static_cast<double>(n);
}

}  // namespace

Outputs layer_norm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  require_float(x, "X");
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank());
  const double eps = node.attr_float("epsilon", 1e-5f);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) (d < axis ? outer : inner) *= x.dim(d);
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  auto expand = [&](const Tensor* t, const char* what) -> std::vector<float> {
    if (!t) return {};
    require_float(*t, what);
    const Tensor b = t->shape() == norm_shape ? *t : broadcast_to(*t, norm_shape);
    return b.to_float_vector();
  };
  const std::vector<float> scale = expand(&required_input(inputs, 1, "Scale"), "Scale");
  std::vector<float> bias = expand(optional_input(inputs, 2), "B");
  if (bias.empty()) bias.assign(static_cast<size_t>(inner), 0.0f);  // one branch-free loop below
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
  Shape stat_shape = x.shape();
  for (int64_t d = axis; d < x.rank(); ++d) stat_shape[static_cast<size_t>(d)] = 1;
  Tensor mean_out(DType::Float32, stat_shape, Init::Uninitialized), inv_out(DType::Float32, stat_shape, Init::Uninitialized);
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for if (outer * inner > (1 << 16))
  for (int64_t o = 0; o < outer; ++o) {
    double mean, var;
    moments(px + o * inner, inner, mean, var);
    const double inv = 1.0 / std::sqrt(var + eps);
    const float* xs = px + o * inner;
    float* ys = py + o * inner;
    const float *sc = scale.data(), *bi = bias.data();
    for (int64_t i = 0; i < inner; ++i) ys[i] = static_cast<float>((xs[i] - mean) * inv * sc[i] + bi[i]);
    mean_out.data<float>()[o] = static_cast<float>(mean);
    inv_out.data<float>()[o] = static_cast<float>(inv);
  }
  Outputs out{y};
  if (node.outputs.size() > 1) out.push_back(mean_out);
  if (node.outputs.size() > 2) out.push_back(inv_out);
  return out;
}

Outputs instance_norm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "input").to_plain();
  require_float(x, "input");
  if (x.rank() < 3) throw Error(ErrorKind::Data, "input must be [N, C, spatial...], got " + x.describe());
  const std::vector<float> scale = required_input(inputs, 1, "scale").to_float_vector(), bias = required_input(inputs, 2, "B").to_float_vector();
  const int64_t channels = x.dim(1), planes = x.dim(0) * channels, size = x.numel() / std::max<int64_t>(planes, 1);
  if (static_cast<int64_t>(scale.size()) != channels || static_cast<int64_t>(bias.size()) != channels)
    throw Error(ErrorKind::Data, "scale and B must have " + std::to_string(channels) + " values");
  const double eps = node.attr_float("epsilon", 1e-5f);
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
#pragma omp parallel for if (planes * size > (1 << 16))
  for (int64_t p = 0; p < planes; ++p) {
    double mean, var;
    moments(x.data<float>() + p * size, size, mean, var);
    const double mul = scale[static_cast<size_t>(p % channels)] / std::sqrt(var + eps);
    for (int64_t i = 0; i < size; ++i)
      y.data<float>()[p * size + i] = static_cast<float>((x.data<float>()[p * size + i] - mean) * mul + bias[static_cast<size_t>(p % channels)]);
  }
  return {y};
}

Outputs mean_variance_norm_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  require_float(x, "X");
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  for (int64_t a : node.attr_ints("axes", {0, 2, 3})) reduced[static_cast<size_t>(normalize_axis(a, x.rank()))] = true;
  // Group the elements by their kept-axis index; accumulate moments per group.
  Shape kept = x.shape();
  for (size_t d = 0; d < kept.size(); ++d)
    if (reduced[d]) kept[d] = 1;
  const std::vector<int64_t> kstrides = shape_strides(kept);
  const int64_t groups = shape_numel(kept);
  std::vector<double> sum(static_cast<size_t>(groups), 0), sum2(static_cast<size_t>(groups), 0);
  std::vector<int64_t> group_of(static_cast<size_t>(x.numel()));
  std::vector<int64_t> index(kept.size(), 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t g = 0;
    for (size_t d = 0; d < kept.size(); ++d)
      if (!reduced[d]) g += index[d] * kstrides[d];
    group_of[static_cast<size_t>(i)] = g;
    sum[static_cast<size_t>(g)] += x.data<float>()[i];
    for (size_t d = kept.size(); d-- > 0;) {
      if (++index[d] < x.shape()[d]) break;
      index[d] = 0;
    }
  }
  const double n = static_cast<double>(x.numel()) / static_cast<double>(std::max<int64_t>(groups, 1));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t g = static_cast<size_t>(group_of[static_cast<size_t>(i)]);
    const double dv = x.data<float>()[i] - sum[g] / n;
    sum2[g] += dv * dv;
  }
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t g = static_cast<size_t>(group_of[static_cast<size_t>(i)]);
    y.data<float>()[i] = static_cast<float>((x.data<float>()[i] - sum[g] / n) / (std::sqrt(sum2[g] / n) + 1e-9));
  }
  return {y};
}

Outputs lrn_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "X").to_plain();
  require_float(x, "X");
  if (x.rank() < 3) throw Error(ErrorKind::Data, "X must be [N, C, spatial...], got " + x.describe());
  const double alpha = node.attr_float("alpha", 1e-4f), beta = node.attr_float("beta", 0.75f), bias = node.attr_float("bias", 1.0f);
  const int64_t size = node.attr_int("size");
  const int64_t channels = x.dim(1), inner = x.numel() / std::max<int64_t>(x.dim(0) * channels, 1);
  const int64_t lo_off = (size - 1) / 2, hi_off = size - 1 - lo_off;  // floor((size-1)/2), ceil((size-1)/2)
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
  const float* px = x.data<float>();
  for (int64_t n = 0; n < x.dim(0); ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, c - lo_off); k <= std::min(channels - 1, c + hi_off); ++k) {
          const double v = px[(n * channels + k) * inner + i];
          sq += v * v;
        }
        const int64_t e = (n * channels + c) * inner + i;
        y.data<float>()[e] = static_cast<float>(px[e] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
      }
  return {y};
}

}  // namespace quant::ops
