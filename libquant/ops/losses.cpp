// Losses (they appear in exported training graphs and in the ONNX tests):
//   NegativeLogLikelihoodLoss(input [N, C, d...], target [N, d...], weight [C]?):
//     loss[n, d] = -input[n, target[n, d], d] * w[target[n, d]]   (w = 1 without weights; 0 where
//     target = ignore_index); reduction none: loss; sum: Σ loss; mean: Σ loss / Σ w over the
//     elements not ignored.
//   SoftmaxCrossEntropyLoss(scores [N, C, d...], labels [N, d...], weights [C]?):
//     log_prob = log_softmax(scores) over C; loss = NegativeLogLikelihoodLoss(log_prob, labels, weights);
//     optional second output: log_prob.
// Computed in double, written in the input's type.
#include <cmath>
#include <limits>

#include "ops/kernels.h"

namespace quant::ops {
namespace {

Tensor from_doubles(DType type, const Shape& shape, const std::vector<double>& v) {
  Tensor t(DType::Float64, shape, Init::Uninitialized);
  std::copy(v.begin(), v.end(), t.data<double>());
  return cast_tensor(t, type);
}

Tensor nll(const ir::Node& node, const Tensor& input, const std::vector<double>& logp, const Tensor& target, const Tensor* weight) {
  if (input.rank() < 2) throw Error(ErrorKind::Data, "input must be [N, C, ...], got " + input.describe());
  const int64_t n = input.dim(0), c = input.dim(1), inner = input.numel() / std::max<int64_t>(n * c, 1);
  if (target.numel() != n * inner) throw Error(ErrorKind::Data, "target " + target.describe() + " does not fit input " + input.describe());
  const bool has_ignore = node.has_attr("ignore_index");
  const int64_t ignore = node.attr_int("ignore_index", 0);
  const std::string reduction = node.attr_string("reduction", "mean");
  std::vector<double> loss(static_cast<size_t>(n * inner));
  double total = 0, weights = 0;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = target.value_as_int64(b * inner + i);
      double l = 0, w = 0;
      if (!(has_ignore && t == ignore)) {
        if (t < 0 || t >= c) throw Error(ErrorKind::Data, "target " + std::to_string(t) + " is out of range for " + std::to_string(c) + " classes");
        w = weight ? weight->value_as_double(t) : 1.0;
        l = -logp[static_cast<size_t>((b * c + t) * inner + i)] * w;
      }
      loss[static_cast<size_t>(b * inner + i)] = l;
      total += l;
      weights += w;
    }
  if (reduction == "none") return from_doubles(input.dtype(), target.shape(), loss);
  if (reduction == "sum") return from_doubles(input.dtype(), {}, {total});
  if (reduction == "mean") return from_doubles(input.dtype(), {}, {weights == 0 ? std::numeric_limits<double>::quiet_NaN() : total / weights});
  throw Error(ErrorKind::Model, "reduction must be none, sum or mean, got '" + reduction + "'");
}

std::vector<double> doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.value_as_double(i);
  return v;
}

}  // namespace

Outputs nll_loss_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "input").to_plain();
  return {nll(node, x, doubles(x), required_input(inputs, 1, "target"), optional_input(inputs, 2))};
}

Outputs softmax_cross_entropy_kernel(const ir::Node& node, const Inputs& inputs, const KernelConfig&) {
  const Tensor x = required_input(inputs, 0, "scores").to_plain();
  if (x.rank() < 2) throw Error(ErrorKind::Data, "scores must be [N, C, ...], got " + x.describe());
  const int64_t n = x.dim(0), c = x.dim(1), inner = x.numel() / std::max<int64_t>(n * c, 1);
  std::vector<double> logp = doubles(x);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < inner; ++i) {
      double mx = -INFINITY, sum = 0;
      for (int64_t k = 0; k < c; ++k) mx = std::max(mx, logp[static_cast<size_t>((b * c + k) * inner + i)]);
      for (int64_t k = 0; k < c; ++k) sum += std::exp(logp[static_cast<size_t>((b * c + k) * inner + i)] - mx);
      const double log_sum = std::log(sum) + mx;
      for (int64_t k = 0; k < c; ++k) logp[static_cast<size_t>((b * c + k) * inner + i)] -= log_sum;
    }
  Outputs out{nll(node, x, logp, required_input(inputs, 1, "labels"), optional_input(inputs, 2))};
  if (node.outputs.size() > 1) out.push_back(from_doubles(x.dtype(), x.shape(), logp));
  return out;
}

}  // namespace quant::ops
