// The softmax family, over
//   opset >= 13: the one axis `axis` (default -1);
//   opset < 13:  all axes from `axis` (default 1) on, the input seen as 2-D [prod(:axis), prod(axis:)]:
//   Softmax:    Y = exp(X - max) / sum(exp(X - max))
//   LogSoftmax: Y = X - max - log(sum(exp(X - max)))
//   Hardmax:    Y = 1 at the first largest element, 0 elsewhere
// in double; a Softmax over contiguous rows (the axis the last one) runs a row at a time through
// softmax_floats where the CPU has AVX2: exp(X - max) in float (within an ulp), the sum and the
// scaling by its inverse in double.
#include <algorithm>
#include <cmath>

#include "ops/kernels.h"
#include "ops/vector_math.h"

namespace quant::ops {

namespace {

enum class Family { Softmax, LogSoftmax, Hardmax };

template <Family family>
Outputs softmax_family(const ir::Node& node, const Inputs& inputs) {
  const Tensor& x = required_input(inputs, 0, "input");
  require_float(x, "input");
  const bool per_axis = node.opset >= 13;
  const int64_t rank = std::max<int64_t>(x.rank(), 1);
  const int64_t axis = normalize_axis(node.attr_int("axis", per_axis ? -1 : 1), rank);
  int64_t outer = 1, length = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis) outer *= x.dim(d);
    else if (d == axis || !per_axis) length *= x.dim(d);
    else inner *= x.dim(d);
  }
  Tensor y(DType::Float32, x.shape(), Init::Uninitialized);
  const float* px = x.data<float>();
  float* py = y.data<float>();
#pragma omp parallel for if (outer * inner > 256)
  for (int64_t t = 0; t < outer * inner; ++t) {
    const int64_t o = t / inner, i = t % inner;
    const float* xs = px + o * length * inner + i;
    float* ys = py + o * length * inner + i;
    if constexpr (family == Family::Softmax)
      if (inner == 1 && vector_math_supported()) {
        softmax_floats(xs, ys, length);
        continue;
      }
    float mx = -INFINITY;
    int64_t arg = 0;
    for (int64_t j = 0; j < length; ++j)
      if (xs[j * inner] > mx) mx = xs[j * inner], arg = j;
    if constexpr (family == Family::Hardmax) {
      for (int64_t j = 0; j < length; ++j) ys[j * inner] = j == arg ? 1.0f : 0.0f;
      continue;
    }
    double sum = 0;
    for (int64_t j = 0; j < length; ++j) sum += std::exp(static_cast<double>(xs[j * inner]) - mx);
    const double log_sum = std::log(sum);
    for (int64_t j = 0; j < length; ++j) {
      const double shifted = static_cast<double>(xs[j * inner]) - mx;
      ys[j * inner] = static_cast<float>(family == Family::LogSoftmax ? shifted - log_sum : std::exp(shifted) / sum);
    }
  }
  return {y};
}

}  // namespace

Outputs softmax_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return softmax_family<Family::Softmax>(n, in); }
Outputs log_softmax_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return softmax_family<Family::LogSoftmax>(n, in); }
Outputs hardmax_kernel(const ir::Node& n, const Inputs& in, const KernelConfig&) { return softmax_family<Family::Hardmax>(n, in); }

}  // namespace quant::ops
